// A run with a million metrics lines (browser-mode HTTP, a real server): runs.history answers in
// under a second with a bounded answer, other calls answer promptly while the file is read in the
// background, and once read the downsampled history keeps the peak and the final value exactly;
// re-opening reads only the appended tail.
import { appendFileSync, closeSync, mkdirSync, mkdtempSync, openSync, realpathSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiContext, type ApiContext } from '../../electron/api/context';
import { historySettled } from '../../electron/services/runs/history-cache';
import { startServer, type RunningServer } from '../../electron/server/server';

const LINES = 1_000_000;
const BLOCK = 1000;
let base: string;
let runDir: string;
let ctx: ApiContext;
let server: RunningServer;

const metricsLine = (step: number, loss: number) =>
  `{"v":1,"ts":${1_700_000_000 + step},"type":"metrics","step":${step},"epoch":0.5,"values":{"loss":${loss},"lr":0.0002,"grad_norm":1.5,"tokens_per_s":1234.5,"mem_gb":3.2,"mem_peak_gb":3.4}}\n`;

beforeAll(async () => {
  base = realpathSync(mkdtempSync(join(tmpdir(), 'tunedesk-history-')));
  runDir = join(base, 'runs', 'long');
  mkdirSync(runDir, { recursive: true });
  writeFileSync(join(runDir, 'run.json'), JSON.stringify({ train_type: 'lora' }));
  // Fast to make: one block of lines written again and again, a spike in the middle, a distinct end.
  let block = '';
  for (let i = 1; i <= BLOCK; i++) block += metricsLine(i, 2 + (i % 7) / 10);
  const buffer = Buffer.from(block);
  const fd = openSync(join(runDir, 'events.jsonl'), 'w');
  writeSync(fd, '{"v":1,"ts":1700000000,"type":"run_started","run_id":"long","method":"lora","engine":"torch","model":"m","total_steps":1000000,"trainable_params":1,"total_params":2,"config":{}}\n');
  for (let b = 0; b < LINES / BLOCK; b++) {
    writeSync(fd, buffer);
    if (b === LINES / BLOCK / 2) writeSync(fd, metricsLine(500_500, 99.5)); // the peak
  }
  writeSync(fd, metricsLine(1_000_001, 0.123)); // the final value
  writeSync(fd, '{"v":1,"ts":1800000000,"type":"run_finished","status":"completed"}\n');
  closeSync(fd);
  ctx = createApiContext({ mode: 'browser', appRoot: join(__dirname, '..', '..'), runsRoot: join(base, 'runs'), dataDir: join(base, 'data'), version: '0.0.0' });
  server = await startServer({ ctx, rendererDir: join(base, 'no-renderer') });
}, 60_000);
afterAll(async () => {
  await server.close();
  await ctx.shutdown();
  rmSync(base, { recursive: true, force: true });
});

async function call(name: string, body: unknown) {
  const started = performance.now();
  const res = await fetch(`http://127.0.0.1:${server.port}/api/${name}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-tunedesk-token': server.token },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, ms: performance.now() - started, bytes: text.length, json: JSON.parse(text) };
}

type Metrics = { type: string; step: number; values: Record<string, number | null> };
const losses = (events: Metrics[]) => events.filter((e) => e.type === 'metrics' && typeof e.values.loss === 'number').map((e) => e.values.loss!);

describe('runs.history on a million metrics lines', () => {
  it('answers in under a second, bounded, while other calls answer promptly', async () => {
    await call('app.info', {}); // warm the server up: the timing below is the history's alone
    const history = call('runs.history', { runId: 'long' });
    const cheap = await call('app.info', {});
    const first = await history;
    expect(first.status).toBe(200);
    expect(first.ms).toBeLessThan(1000);
    expect(cheap.ms).toBeLessThan(500);
    expect(first.bytes).toBeLessThan(4 * 1024 * 1024);
    const events = first.json.value.events as Metrics[];
    expect(events[0]!.type).toBe('run_started');
    expect(losses(events).at(-1)).toBe(0.123); // the tail is read whole: the final value is exact
    // The whole file is being read in the background: a cheap call still answers at once.
    const during = await call('app.info', {});
    expect(during.ms).toBeLessThan(500);
    expect(first.json.value.sampled).toBe(true);
  }, 60_000);

  it('once read: at most a few thousand points per series, the peak and the final value exact; re-opening reads only the tail', async () => {
    const file = join(runDir, 'events.jsonl');
    await historySettled(file);
    const full = await call('runs.history', { runId: 'long' });
    expect(full.json.value.sampled).toBe(false);
    const events = full.json.value.events as Metrics[];
    const loss = losses(events);
    expect(loss.length).toBeLessThanOrEqual(3000);
    expect(loss.length).toBeGreaterThan(500);
    expect(Math.max(...loss)).toBe(99.5);
    expect(Math.min(...loss)).toBe(0.123);
    expect(loss.at(-1)).toBe(0.123);
    appendFileSync(file, metricsLine(1_000_002, 0.05)); // (after run_finished: only the reading is tested)
    const again = await call('runs.history', { runId: 'long' });
    expect(again.ms).toBeLessThan(1000);
    expect(losses(again.json.value.events).at(-1)).toBe(0.05);
  }, 120_000);
});
