// export.* and predict.* bound to the services: jobs publish progress and one final outcome on
// their topics, cancel stops them, list reads export.json. The trainer is a replaying shell script
// here (tests/integration/export.test.ts runs the real one).
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiContext } from '../../electron/api/context';
import { exportHandlers } from '../../electron/api/bindings/export';
import { predictHandlers } from '../../electron/api/bindings/predict';
import type { ApiError } from '../../electron/api/api-error';

const base = mkdtempSync(join(tmpdir(), 'tunedesk-export-binding-'));
const runsRoot = join(base, 'runs');
const ctx = createApiContext({ mode: 'browser', appRoot: join(__dirname, '..', '..'), runsRoot, dataDir: join(base, 'data') });
const savedPython = process.env.TUNEDESK_TRAINER_PYTHON;

const EVENTS = [
  { v: 1, ts: 1, type: 'export_progress', stage: 'merge', fraction: 0.3 },
  { v: 1, ts: 2, type: 'log', level: 'info', message: 'P-Tuning prefixes cannot be folded into the weights' },
  { v: 1, ts: 3, type: 'export_finished', status: 'completed', out: '/o', verification: { passed: true, max_abs_logit_diff: 0 } },
  { v: 1, ts: 4, type: 'predict_token', index: 0, text: 'he' },
  { v: 1, ts: 5, type: 'predict_token', index: 1, text: 'llo' },
  { v: 1, ts: 6, type: 'predict_finished', text: 'hello' },
]
  .map((e) => JSON.stringify(e))
  .join('\n');

beforeAll(() => {
  const fake = join(base, 'fake-python.sh');
  writeFileSync(fake, `#!/bin/sh\ncat <<'EOF'\n${EVENTS}\nEOF\nif [ -n "$FAKE_SLEEP" ]; then exec sleep "$FAKE_SLEEP"; fi\n`);
  chmodSync(fake, 0o755);
  process.env.TUNEDESK_TRAINER_PYTHON = fake;
  const ckpt = join(runsRoot, 'run-1', 'checkpoints', 'step-000004');
  mkdirSync(ckpt, { recursive: true });
  writeFileSync(join(ckpt, 'manifest.json'), JSON.stringify({ format: 'tunedesk-checkpoint', version: 1, step: 4 }));
  const exportDir = join(runsRoot, 'run-1', 'exports', 'step-000004-hf-fp16');
  mkdirSync(exportDir, { recursive: true });
  writeFileSync(
    join(exportDir, 'export.json'),
    JSON.stringify({ kind: 'merged', export_format: 'hf', dtype: 'fp16', step: 4, created: 5, verification: { passed: true, max_abs_logit_diff: 0.01 } }),
  );
  mkdirSync(join(runsRoot, 'run-1', 'exports', '.tmp-export-x-123'), { recursive: true }); // staging: never listed
  mkdirSync(join(runsRoot, 'run-1', 'exports', 'junk'), { recursive: true }); // no export.json: never listed
});

afterAll(async () => {
  if (savedPython === undefined) delete process.env.TUNEDESK_TRAINER_PYTHON;
  else process.env.TUNEDESK_TRAINER_PYTHON = savedPython;
  await ctx.shutdown();
  rmSync(base, { recursive: true, force: true });
});

function collect(topic: 'export.progress' | 'predict.tokens') {
  const seen: Record<string, unknown>[] = [];
  const stop = ctx.events.subscribe(topic, (e) => seen.push(e as Record<string, unknown>));
  const done = () =>
    new Promise<Record<string, unknown>[]>((resolve) => {
      const timer = setInterval(() => {
        if (seen.some((e) => e.done)) {
          clearInterval(timer);
          stop();
          resolve(seen);
        }
      }, 20);
    });
  return done;
}

describe('export binding', () => {
  it('starts a job on the newest complete checkpoint and publishes progress, notes and the outcome', async () => {
    const done = collect('export.progress');
    const started = await exportHandlers['export.start']({ runId: 'run-1', format: 'hf', force: false }, ctx);
    expect(started.checkpoint).toBe(join(runsRoot, 'run-1', 'checkpoints', 'step-000004'));
    const events = await done();
    expect(events.every((e) => e.jobId === started.jobId)).toBe(true);
    expect(events[0]).toMatchObject({ stage: 'merge', fraction: 0.3, done: false });
    expect(events.some((e) => String(e.message).includes('cannot be folded'))).toBe(true);
    expect(events.at(-1)).toMatchObject({ done: true, outcome: { status: 'completed', out: '/o' } });
  });

  it('refuses an unknown run or an incomplete checkpoint with not_found', async () => {
    await expect(exportHandlers['export.start']({ runId: 'nope', format: 'hf', force: false }, ctx)).rejects.toMatchObject({ code: 'not_found' } satisfies Partial<ApiError>);
    await expect(exportHandlers['export.start']({ runId: 'run-1', checkpoint: 'step-000009', format: 'hf', force: false }, ctx)).rejects.toMatchObject({ code: 'not_found' });
  });

  it('cancels a running job', async () => {
    process.env.FAKE_SLEEP = '30';
    try {
      const done = collect('export.progress');
      const { jobId } = await exportHandlers['export.start']({ runId: 'run-1', format: 'hf', force: false }, ctx);
      await new Promise((r) => setTimeout(r, 300));
      expect(await exportHandlers['export.cancel']({ jobId }, ctx)).toEqual({ cancelled: true });
      expect((await done()).at(-1)).toMatchObject({ done: true, outcome: { status: 'cancelled' } });
      expect(await exportHandlers['export.cancel']({ jobId }, ctx)).toEqual({ cancelled: false });
    } finally {
      delete process.env.FAKE_SLEEP;
    }
  });

  it('lists finished exports only', async () => {
    const { exports } = await exportHandlers['export.list']({ runId: 'run-1' }, ctx);
    expect(exports).toEqual([
      expect.objectContaining({ name: 'step-000004-hf-fp16', kind: 'merged', format: 'hf', dtype: 'fp16', step: 4, passed: true, maxAbsLogitDiff: 0.01 }),
    ]);
  });
});

describe('predict binding', () => {
  it('streams tokens in order, then the outcome', async () => {
    const done = collect('predict.tokens');
    await predictHandlers['predict.start']({ runId: 'run-1', prompt: 'hi', maxNewTokens: 4, greedy: true }, ctx);
    const events = await done();
    expect(events.filter((e) => !e.done).map((e) => e.text)).toEqual(['he', 'llo']);
    expect(events.at(-1)).toMatchObject({ done: true, index: 2, outcome: { status: 'completed', text: 'hello' } });
  });

  it('needs exactly one of runId and model', async () => {
    await expect(predictHandlers['predict.start']({ prompt: 'hi', maxNewTokens: 4, greedy: true }, ctx)).rejects.toMatchObject({ code: 'invalid_request' });
  });
});
