// One run at a time per device across processes (the lock in the runs root): three runs started at
// once — one from this process's run manager, two from separate `tunedesk train` processes — run
// one after the other, never two together (real trainer, tiny demo model, CPU).
import { execa } from 'execa';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../electron/services/python-env/trainer-python';
import { RunManager } from '../../electron/services/runs/run-manager';
import { acquireRunLocks, deviceLocks, releaseRunLocks } from '../../electron/services/runs/run-lock';
import { ARTIFACTS, demoModel, tinyConfig, TRAINER_ENV } from '../helpers/runs-helpers';
import { killLeftoverRuns } from '../helpers/runs-cleanup';

let root = '';
let model = '';
beforeAll(async () => {
  model = await demoModel();
  root = mkdtempSync(join(ARTIFACTS, 'lock-'));
  writeFileSync(join(root, 'tiny.json'), JSON.stringify(tinyConfig(model, { max_steps: 3, save_model_step: 100 })));
});
afterAll(() => {
  killLeftoverRuns(root);
  rmSync(root, { recursive: true, force: true, maxRetries: 5 });
});

const finished = (dir: string) => existsSync(join(dir, 'events.jsonl')) && readFileSync(join(dir, 'events.jsonl'), 'utf8').includes('"run_finished"');

describe('the cross-process run lock', () => {
  it('three runs started at once (two from other processes) run one at a time', async () => {
    const manager = new RunManager({ runsRoot: root, env: TRAINER_ENV, pollMs: 250, lockRetryMs: 250 });
    await manager.init();
    const cli = () =>
      execa(process.execPath, [join(REPO_ROOT, 'electron', 'cli', 'bin.mjs'), 'train', '--config', join(root, 'tiny.json'), '--runs-dir', root, '--json'], {
        reject: false,
        env: { ...TRAINER_ENV, TUNEDESK_DATA_DIR: join(root, '.data') },
      });
    const [here, a, b] = await Promise.all([manager.start(tinyConfig(model, { max_steps: 3, save_model_step: 100 })), cli(), cli()]);
    // Each CLI returns once its run has left the queue (it waits while another process's run holds the CPU).
    expect(a.exitCode, a.stderr).toBe(0);
    expect(b.exitCode, b.stderr).toBe(0);
    await manager.waitForEnd(here.runId);
    const dirs = readdirSync(root, { withFileTypes: true }).filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => join(root, e.name));
    expect(dirs).toHaveLength(3);
    for (let i = 0; i < 600 && !dirs.every(finished); i++) await new Promise((r) => setTimeout(r, 250));
    expect(dirs.every(finished)).toBe(true);
    // launched_at (process.json) of each run is after the previous run's run_finished.
    const spans = dirs
      .map((dir) => {
        const launched = JSON.parse(readFileSync(join(dir, 'process.json'), 'utf8')).launched_at as number;
        const lines = readFileSync(join(dir, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
        return { launched, ended: lines.find((e) => e.type === 'run_finished').ts as number, status: lines.at(-1).status };
      })
      .sort((x, y) => x.launched - y.launched);
    expect(spans.map((s) => s.status)).toEqual(['completed', 'completed', 'completed']);
    expect(spans[1]!.launched).toBeGreaterThanOrEqual(spans[0]!.ended);
    expect(spans[2]!.launched).toBeGreaterThanOrEqual(spans[1]!.ended);
    // Nothing holds the CPU any more: a lock left by a CLI that has exited names a finished trainer, so it is stale.
    // (The last trainer may still be exiting after writing run_finished: give it a few seconds.)
    let free = false;
    for (let i = 0; i < 60 && !free; i++) {
      free = await acquireRunLocks(deviceLocks(root, []), 'probe');
      if (!free) await new Promise((r) => setTimeout(r, 250));
    }
    expect(free).toBe(true);
    await releaseRunLocks(deviceLocks(root, []), 'probe');
    await manager.close();
  }, 300_000);
});
