// The CLI faces of the run manager, as a user runs them (separate processes, real trainer on the
// tiny demo model): train --config prints the id and returns while the run goes on; runs lists
// it; stop from another process ends it with a checkpoint; resume refuses an incompatible change.
import { execa } from 'execa';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../electron/services/python-env/trainer-python';
import { ARTIFACTS, demoModel, tinyConfig, TRAINER_ENV } from '../helpers/runs-helpers';
import { killLeftoverRuns } from '../helpers/runs-cleanup';

let root = '';
const cli = (args: string[]) =>
  execa(process.execPath, [join(REPO_ROOT, 'electron', 'cli', 'bin.mjs'), ...args, '--runs-dir', root], {
    reject: false,
    env: { ...TRAINER_ENV, TUNEDESK_DATA_DIR: join(root, '.data') },
  });

beforeAll(async () => {
  const model = await demoModel();
  root = mkdtempSync(join(ARTIFACTS, 'cli-'));
  writeFileSync(join(root, 'long.json'), JSON.stringify(tinyConfig(model, { max_steps: 500, save_model_step: 1000 })));
});
afterAll(() => {
  killLeftoverRuns(root);
  rmSync(root, { recursive: true, force: true });
});

describe('tunedesk train / runs / stop / resume', () => {
  it('rejects a call without --preset or --config with the usage', async () => {
    const result = await cli(['train']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/exactly one of --preset or --config/);
  });

  it('starts a run that outlives the command, lists it, and stops it from another process', async () => {
    const started = await cli(['train', '--config', join(root, 'long.json'), '--json']);
    expect(started.exitCode, started.stderr).toBe(0);
    const { runId, status } = JSON.parse(started.stdout.trim().split('\n').at(-1)!);
    expect(status).toBe('running');

    // The CLI process has exited; the trainer goes on and reaches its first step.
    let show: { summary: { status: string; step: number } } = { summary: { status: '', step: 0 } };
    for (let i = 0; i < 240 && show.summary.step < 1; i++) {
      show = JSON.parse((await cli(['runs', 'show', runId, '--json'])).stdout);
      if (show.summary.step < 1) await new Promise((r) => setTimeout(r, 500));
    }
    expect(show.summary.status).toBe('running');

    const listed = JSON.parse((await cli(['runs', '--json'])).stdout);
    expect(listed.runs.map((r: { runId: string }) => r.runId)).toEqual([runId]);

    const stopped = await cli(['stop', runId]);
    expect(stopped.exitCode, stopped.stderr).toBe(0);
    expect(stopped.stdout).toMatch(/stopped after saving a checkpoint/);
    const after = JSON.parse((await cli(['runs', 'show', runId, '--json'])).stdout);
    expect(after.summary.status).toBe('cancelled');
    expect(after.checkpoints.filter((c: { complete: boolean }) => c.complete)).toHaveLength(1);

    const text = await cli(['runs', 'show', runId]);
    expect(text.stdout).toMatch(/status: cancelled/);
    expect(text.stdout).toMatch(/complete/);

    const refused = await cli(['resume', runId, '--set', 'train_type=freeze']);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toMatch(/train_type: "lora" -> "freeze" \(the checkpoint holds weights of this method/);
  });
});
