// The runs/checkpoints/settings calls through the real dispatcher (validation, path guard,
// bindings), on run folders made from the golden event files — no trainer needed.
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApiContext, type ApiContext } from '../../electron/api/context';
import { dispatch } from '../../electron/api/dispatch';
import { REPO_ROOT } from '../../electron/services/python-env/trainer-python';
import { readEventsFile } from '../../electron/services/runs/events-tailer';
import { applyEvents, emptySummary, type RunSummary } from '../../electron/services/runs/run-summary';
import type { RunListing } from '../../electron/services/runs/run-list';
import { topics } from '../../electron/shared/contract';
import type { runListingSchema, runSummarySchema } from '../../electron/shared/contract/runs';
import type { z } from 'zod';
import type { TrainerEvent } from '../../electron/shared/events';

// Compile-time: the contract's schemas describe exactly what the services produce.
const _summaryFits: z.infer<typeof runSummarySchema> = {} as RunSummary;
const _listingFits: z.infer<typeof runListingSchema> = {} as RunListing;
void _summaryFits;
void _listingFits;

const golden = join(__dirname, '..', 'fixtures', 'golden-events');

describe('the runs.update topic', () => {
  it('accepts what the run manager publishes (summary + events of a golden run)', async () => {
    const events: TrainerEvent[] = [];
    await readEventsFile(join(golden, 'completed-run.jsonl'), (e) => events.push(...e));
    const summary = applyEvents(emptySummary('demo', 'running'), events);
    expect(topics['runs.update'].event.safeParse({ runId: 'demo', summary, events }).success).toBe(true);
    expect(topics['runs.update'].event.safeParse({ runId: 'demo', summary: { ...summary, status: 'exploded' }, events }).success).toBe(false);
  });
});

describe('runs calls through the dispatcher', () => {
  let dir = '';
  let ctx: ApiContext;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tunedesk-binding-'));
    const runsRoot = join(dir, 'runs');
    for (const [id, file, lr] of [['a', 'completed-run.jsonl', 0.001], ['b', 'cancelled-run.jsonl', 0.002]] as const) {
      mkdirSync(join(runsRoot, id, 'checkpoints', 'step-000002'), { recursive: true });
      cpSync(join(golden, file), join(runsRoot, id, 'events.jsonl'));
      writeFileSync(join(runsRoot, id, 'run.json'), JSON.stringify({ train_type: 'lora', lora_dim: 8, learning_rate: lr }));
      writeFileSync(join(runsRoot, id, 'checkpoints', 'step-000002', 'manifest.json'), JSON.stringify({ format: 'tunedesk-checkpoint', version: 1, step: 2, loss: 3.7 }));
    }
    ctx = createApiContext({ mode: 'browser', runsRoot, dataDir: join(dir, 'data'), appRoot: REPO_ROOT });
  });
  afterEach(async () => {
    await ctx.shutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists runs, gives one run with its history, and its checkpoints', async () => {
    const list = await dispatch(ctx, 'runs.list', {});
    expect(list.ok).toBe(true);
    const runs = (list as { value: { runs: { runId: string; status: string }[] } }).value.runs;
    expect(Object.fromEntries(runs.map((r) => [r.runId, r.status]))).toEqual({ a: 'completed', b: 'cancelled' });

    const history = await dispatch(ctx, 'runs.history', { runId: 'a' });
    expect(history).toMatchObject({ ok: true, value: { summary: { status: 'completed', step: 4 }, malformedLines: 0 } });
    expect((history as { value: { events: unknown[] } }).value.events).toHaveLength(10);

    expect(await dispatch(ctx, 'checkpoints.list', { runId: 'b' })).toMatchObject({ ok: true, value: { checkpoints: [{ step: 2, complete: true, loss: 3.7 }] } });
  });

  it('plans a resume, compares runs, and answers not_found for an unknown run', async () => {
    expect(await dispatch(ctx, 'runs.planResume', { runId: 'a', overrides: { lora_dim: 16, learning_rate: 0.01 } })).toMatchObject({
      ok: true,
      value: { refused: [{ key: 'lora_dim' }], applied: [{ key: 'learning_rate', from: 0.001, to: 0.01 }] },
    });
    const cmp = await dispatch(ctx, 'runs.compare', { runIds: ['a', 'b'] });
    expect(cmp).toMatchObject({ ok: true, value: { steps: [1, 2, 3, 4], configDiff: [{ key: 'learning_rate' }] } });
    expect(await dispatch(ctx, 'runs.get', { runId: 'nope' })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(await dispatch(ctx, 'runs.get', { runId: '../etc' })).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
  });

  it('reports where the runs root comes from and stores a new one', async () => {
    const saved = process.env.TUNEDESK_RUNS_DIR;
    delete process.env.TUNEDESK_RUNS_DIR;
    try {
      expect(await dispatch(ctx, 'settings.get', {})).toMatchObject({ ok: true, value: { runsRoot: ctx.runsRoot, source: 'default' } });
      const set = await dispatch(ctx, 'settings.setRunsRoot', { runsRoot: join(ctx.dataDir, 'elsewhere') });
      expect(set).toMatchObject({ ok: true, value: { source: 'settings', restartNeeded: true } });
    } finally {
      if (saved !== undefined) process.env.TUNEDESK_RUNS_DIR = saved;
    }
  });
});
