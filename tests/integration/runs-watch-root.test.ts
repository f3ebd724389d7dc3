// A run started from the CLI while the host is open (browser mode's API context) shows live within
// 2 s: the run manager watches the runs root (fs.watch + a periodic rescan). Real trainer via the
// CLI on the tiny demo model.
import { execa } from 'execa';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiContext, type ApiContext } from '../../electron/api/context';
import { dispatch } from '../../electron/api/dispatch';
import { REPO_ROOT } from '../../electron/services/python-env/trainer-python';
import { ARTIFACTS, demoModel, tinyConfig, TRAINER_ENV } from '../helpers/runs-helpers';
import { killLeftoverRuns } from '../helpers/runs-cleanup';

let root = '';
let ctx: ApiContext;
beforeAll(async () => {
  const model = await demoModel();
  root = mkdtempSync(join(ARTIFACTS, 'watch-'));
  writeFileSync(join(root, 'tiny.json'), JSON.stringify(tinyConfig(model, { max_steps: 3, save_model_step: 100 })));
  ctx = createApiContext({ mode: 'browser', appRoot: REPO_ROOT, runsRoot: root, dataDir: join(root, '.data'), version: '0.0.0' });
});
afterAll(async () => {
  await ctx.shutdown();
  killLeftoverRuns(root);
  rmSync(root, { recursive: true, force: true });
});

describe('watching the runs root', () => {
  it('a run started from the CLI appears live (runs.update) within 2 s of its launch', async () => {
    expect(await dispatch(ctx, 'runs.list', {})).toMatchObject({ ok: true, value: { runs: [] } }); // the host is open
    const seen = new Map<string, number>();
    ctx.events.subscribe('runs.update', (update) => {
      const { summary } = update as { summary: { runId: string; status: string } };
      if (summary.status === 'running' && !seen.has(summary.runId)) seen.set(summary.runId, Date.now());
    });
    const started = await execa(process.execPath, [join(REPO_ROOT, 'electron', 'cli', 'bin.mjs'), 'train', '--config', join(root, 'tiny.json'), '--runs-dir', root, '--json'], {
      reject: false,
      env: { ...TRAINER_ENV, TUNEDESK_DATA_DIR: join(root, '.data') },
    });
    expect(started.exitCode, started.stderr).toBe(0);
    const { runId } = JSON.parse(started.stdout.trim().split('\n').at(-1)!);
    const launchedAt = Date.now(); // the CLI returns right after the launch (process.json written)
    expect(existsSync(join(root, runId, 'process.json'))).toBe(true);
    for (let i = 0; i < 40 && !seen.has(runId); i++) await new Promise((r) => setTimeout(r, 100));
    expect(seen.has(runId), 'no runs.update for the CLI run').toBe(true);
    expect(seen.get(runId)! - launchedAt).toBeLessThan(2000);
    // And the host follows it to its end, like a run it started itself.
    const listed = await dispatch(ctx, 'runs.get', { runId });
    expect(listed).toMatchObject({ ok: true });
    const deadline = Date.now() + 120_000;
    let status = '';
    while (Date.now() < deadline && status !== 'completed') {
      const got = (await dispatch(ctx, 'runs.get', { runId })) as { ok: true; value: { summary: { status: string } } };
      status = got.value.summary.status;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(status).toBe('completed');
  }, 180_000);
});
