// Multi-GPU runs go through the DeepSpeed launcher (`deepspeed --include localhost:0,1 -m tunedesk
// train --config run.json`, built and unit-tested in runs-queue-resume.test.ts). Running it needs
// DeepSpeed and two CUDA GPUs; where they are missing the test is skipped and says why.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { queryNvidiaSmi } from '../../electron/services/hardware/nvidia-smi';
import { trainerPythonPath } from '../../electron/services/python-env/trainer-python';
import { groupMembersLinux } from '../../electron/services/runs/process-tree';
import { deepspeedLauncherPath } from '../../electron/services/runs/launcher';
import { readProcessInfo } from '../../electron/services/runs/run-files';
import { RunManager } from '../../electron/services/runs/run-manager';
import { ARTIFACTS, demoModel, tinyConfig, TRAINER_ENV } from '../helpers/runs-helpers';

const launcher = deepspeedLauncherPath(trainerPythonPath());
const gpuCount = (await queryNvidiaSmi({ timeoutMs: 3000 })).gpus.length;
const missing = [!existsSync(launcher) && `DeepSpeed is not installed (${launcher})`, gpuCount < 2 && `${gpuCount} CUDA GPU(s), 2 needed`].filter(Boolean);

describe('multi-GPU runs through the DeepSpeed launcher', () => {
  it.skipIf(missing.length > 0)(`trains on GPUs 0,1 and stops the whole launcher tree${missing.length ? ` — skipped: ${missing.join('; ')}` : ''}`, async () => {
    const root = mkdtempSync(join(ARTIFACTS, 'deepspeed-'));
    try {
      const manager = new RunManager({ runsRoot: root, env: TRAINER_ENV });
      await manager.init();
      const config = tinyConfig(await demoModel(), { device: 'cuda', ds_file: 'resources/deepspeed/zero2.json', max_steps: 4 });
      await manager.start(config, { runId: 'ds', gpus: [0, 1], baseDir: join(__dirname, '..', '..') });
      const info = (await readProcessInfo(join(root, 'ds')))!;
      expect(info.launcher).toBe('deepspeed');
      expect(info.argv).toContain('localhost:0,1');
      const done = await manager.waitForEnd('ds');
      expect(done.status).toBe('completed');
      expect(done.engine).toBe('deepspeed');
      expect(groupMembersLinux(info.pgid!)).toEqual([]);
      await manager.close();
    } finally {
      rmSync(root, { recursive: true, force: true, maxRetries: 5 });
    }
  });
});
