// The run manager with the REAL trainer on the tiny demo model (CPU): start -> completed, resume
// continuing the step count, stop -> cancelled with a checkpoint, kill -9 -> crashed, re-attach
// after a restart, queueing on one GPU set.
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listCheckpoints } from '../../electron/services/checkpoints/checkpoint-list';
import { listRuns } from '../../electron/services/runs/run-list';
import type { RunUpdate } from '../../electron/services/runs/live-fanout';
import { groupMembersLinux } from '../../electron/services/runs/process-tree';
import { ResumeRefusedError } from '../../electron/services/runs/resume-rules';
import { readProcessInfo, readRunMeta } from '../../electron/services/runs/run-files';
import { RunManager } from '../../electron/services/runs/run-manager';
import { ARTIFACTS, demoModel, metricSteps, tinyConfig, TRAINER_ENV, waitFor } from '../helpers/runs-helpers';
import { killLeftoverRuns } from '../helpers/runs-cleanup';

let model = '';
let root = '';
const managers: RunManager[] = [];
const open = async () => {
  const m = new RunManager({ runsRoot: root, env: TRAINER_ENV, pollMs: 250, stop: { cooperativeMs: 30_000, termMs: 5000 } });
  managers.push(m);
  return m;
};

beforeAll(async () => {
  model = await demoModel();
  root = mkdtempSync(join(ARTIFACTS, 'lifecycle-'));
});
afterAll(async () => {
  for (const m of managers) await m.close();
  killLeftoverRuns(root);
  rmSync(root, { recursive: true, force: true, maxRetries: 5 });
});

describe('run manager with the real trainer', () => {
  it('start -> events -> completed, then resume continues the step count', async () => {
    const manager = await open();
    await manager.init();
    const updates: RunUpdate[] = [];
    manager.subscribe('*', (u) => updates.push(u));
    const started = await manager.start(tinyConfig(model), { runId: 'first' });
    expect(['queued', 'running']).toContain(started.status);
    const info = await readProcessInfo(join(root, 'first'));
    expect(info).toMatchObject({ pgid: info!.pid, launcher: 'torch' });
    expect(info!.start_time).toMatch(/^linux:\d+$/);

    const done = await manager.waitForEnd('first');
    expect(done.status).toBe('completed');
    expect(done.step).toBe(4);
    expect(done.totalSteps).toBe(4);
    expect(done.lastCheckpoint).toEqual({ step: 4, path: 'checkpoints/step-000004' });
    expect(metricSteps(updates.filter((u) => u.runId === 'first'))).toEqual([1, 2, 3, 4]);
    expect(updates.filter((u) => u.runId === 'first').map((u) => u.summary.status)).toContain('running');
    const checkpoints = await listCheckpoints(join(root, 'first'));
    expect(checkpoints.map((c) => [c.step, c.complete])).toEqual([[2, true], [4, true]]);
    expect(checkpoints[1]!.loss).toBeCloseTo(done.lastLoss!, 5);
    expect(checkpoints[1]!.sizeBytes).toBeGreaterThan(1000);

    // An incompatible change is refused before anything starts, with the reason.
    await expect(manager.resume('first', { overrides: { lora_dim: 16, max_steps: 6 } })).rejects.toThrow(ResumeRefusedError);
    await expect(manager.resume('first', { overrides: { train_type: 'freeze' } })).rejects.toThrow(/train_type: "lora" -> "freeze"/);
    expect(existsSync(join(root, 'first-resumed'))).toBe(false);

    const { summary, plan } = await manager.resume('first', { step: 4, overrides: { max_steps: 6, learning_rate: 0.001 }, runId: 'first-resumed' });
    expect(plan.applied.map((c) => c.key).sort()).toEqual(['learning_rate', 'max_steps']);
    expect(summary.runId).toBe('first-resumed');
    const resumed = await manager.waitForEnd('first-resumed');
    expect(resumed.status).toBe('completed');
    expect(metricSteps(updates.filter((u) => u.runId === 'first-resumed'))).toEqual([5, 6]);
    expect(await readRunMeta(join(root, 'first-resumed'))).toMatchObject({
      parent: { run_id: 'first', checkpoint: 'checkpoints/step-000004', step: 4 },
    });
    const listed = await listRuns(root);
    expect(listed.find((r) => r.runId === 'first-resumed')).toMatchObject({ status: 'completed', parent: { run_id: 'first' }, step: 6 });
  });

  it('queues two runs on one GPU set; stop -> cancelled with a checkpoint; kill -9 -> crashed with the log tail', async () => {
    const manager = await open();
    await manager.init();
    const updates: RunUpdate[] = [];
    manager.subscribe('*', (u) => updates.push(u));
    const long = tinyConfig(model, { max_steps: 500, save_model_step: 1000 });
    await manager.start(long, { runId: 'to-stop' });
    const second = await manager.start(long, { runId: 'to-kill' });
    expect(second.status).toBe('queued'); // same (CPU) set: waits its turn
    expect(existsSync(join(root, 'to-kill', 'process.json'))).toBe(false);

    await waitFor(() => (manager.get('to-stop')?.step ?? 0) >= 1, 90_000, 'the first metrics of to-stop');
    const pid = (await readProcessInfo(join(root, 'to-stop')))!.pid;
    const stage = await manager.stop('to-stop');
    expect(stage).toBe('cooperative');
    const stopped = manager.get('to-stop')!;
    expect(stopped.status).toBe('cancelled');
    expect(groupMembersLinux(pid)).toEqual([]); // nothing of the run is left
    const saved = (await listCheckpoints(join(root, 'to-stop'))).filter((c) => c.complete);
    expect(saved.length).toBe(1);
    expect(saved[0]!.step).toBe(stopped.lastCheckpoint!.step);

    // The queued run started by itself once the set was free.
    await waitFor(() => (manager.get('to-kill')?.step ?? 0) >= 1, 90_000, 'the first metrics of to-kill');
    const victim = (await readProcessInfo(join(root, 'to-kill')))!;
    process.kill(victim.pid, 'SIGKILL');
    const crashed = await manager.waitForEnd('to-kill');
    expect(crashed.status).toBe('crashed');
    expect(crashed.logTail.join('\n')).toMatch(/step 1\//); // the trainer's own progress lines
    expect(crashed.error?.message).toMatch(/without reporting/);
    expect(updates.filter((u) => u.runId === 'to-kill').at(-1)!.summary.status).toBe('crashed');
    // A new listing agrees from the files alone.
    const listed = await listRuns(root);
    expect(listed.find((r) => r.runId === 'to-kill')!.status).toBe('crashed');
    expect(listed.find((r) => r.runId === 'to-stop')!.status).toBe('cancelled');
  });

  it('re-attaches after a restart with a continuous metric series', async () => {
    const first = await open();
    await first.init();
    await first.start(tinyConfig(model, { max_steps: 12, save_model_step: 100 }), { runId: 'survivor' });
    await waitFor(() => (first.get('survivor')?.step ?? 0) >= 2, 90_000, 'two steps of survivor');
    await first.close(); // the "app" goes away; the run must go on
    const info = (await readProcessInfo(join(root, 'survivor')))!;
    expect(groupMembersLinux(info.pid)).toContain(info.pid);

    const second = await open();
    const updates: RunUpdate[] = [];
    second.subscribe('survivor', (u) => updates.push(u));
    const attached = await second.init();
    expect(attached.map((s) => s.runId)).toEqual(['survivor']);
    // A malformed line in the middle of a live run is reported and skipped, never fatal.
    appendFileSync(join(root, 'survivor', 'events.jsonl'), '{"v":1,"type":"metrics","step":\n');
    const done = await second.waitForEnd('survivor');
    expect(done.status).toBe('completed');
    expect(done.malformedLines).toBe(1);
    expect(metricSteps(updates)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    const log = readFileSync(join(root, 'survivor', 'train.log'), 'utf8');
    expect(log).toMatch(/step 12\/12/);
  });
});
