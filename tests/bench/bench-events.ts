// bench:events — the run manager's event path (not a timed test; prints numbers for the README):
//   1. parsing: lines/s through parseEventLine + the tailer (target >= 100k lines/s)
//   2. latency: a line appended to events.jsonl reaches a RunManager subscriber (target < 300 ms)
//   3. memory: following a 1M-line events file stays flat (streamed, never loaded whole)
//   4. idle cost: watching a live run that writes nothing, CPU over 10 s (target < 1% of a core)
import { appendFileSync, createWriteStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { EventsTailer } from '../../electron/services/runs/events-tailer';
import { RunManager } from '../../electron/services/runs/run-manager';
import { processStartTime } from '../../electron/services/runs/process-tree';

const dir = mkdtempSync(join(tmpdir(), 'tunedesk-bench-events-'));
const metricLine = (step: number) =>
  JSON.stringify({
    v: 1,
    ts: 1764288000 + step * 0.1,
    type: 'metrics',
    step,
    epoch: step / 1000,
    values: { loss: 2 + Math.sin(step) / 10, lr: 1e-4, grad_norm: 1.2, tokens_per_s: 2100.5, samples_per_s: 16.2, mem_gb: 0.41, mem_peak_gb: 0.45 },
  }) + '\n';
const started = JSON.stringify({
  v: 1, ts: 1764288000, type: 'run_started', run_id: 'bench', method: 'lora', engine: 'torch', model: '/m',
  total_steps: 1_000_000, trainable_params: 1, total_params: 2, config: {},
}) + '\n';

async function writeLines(file: string, n: number): Promise<void> {
  const out = createWriteStream(file);
  out.write(started);
  for (let i = 1; i <= n; i++) if (!out.write(metricLine(i))) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
}

async function parsing(): Promise<void> {
  const file = join(dir, 'parse.jsonl');
  const n = 200_000;
  await writeLines(file, n);
  let count = 0;
  const tailer = new EventsTailer(file, { onEvents: (e) => (count += e.length) });
  const t0 = performance.now();
  await tailer.readNew();
  const s = (performance.now() - t0) / 1000;
  console.log(`parsing: ${count} events in ${s.toFixed(2)} s = ${Math.round(count / s).toLocaleString('en-US')} lines/s (target >= 100,000)`);
}

/** A run directory that looks live to the manager: process.json names this very process. */
async function fakeLiveRun(root: string, id: string): Promise<string> {
  const runDir = join(root, id);
  mkdirSync(runDir, { recursive: true });
  writeFileSync(join(runDir, 'run.json'), '{}');
  writeFileSync(join(runDir, 'events.jsonl'), started);
  writeFileSync(
    join(runDir, 'process.json'),
    JSON.stringify({ pid: process.pid, pgid: null, start_time: await processStartTime(process.pid), launched_at: Date.now() / 1000, argv: ['bench'], platform: process.platform, launcher: 'torch' }),
  );
  return runDir;
}

async function latency(): Promise<void> {
  const root = join(dir, 'latency');
  const runDir = await fakeLiveRun(root, 'live');
  const manager = new RunManager({ runsRoot: root, telemetry: null });
  const arrivals = new Map<number, number>();
  manager.subscribe('live', (u) => {
    for (const e of u.events) if (e.type === 'metrics') arrivals.set(e.step, performance.now());
  });
  await manager.init();
  const samples: number[] = [];
  for (let step = 1; step <= 30; step++) {
    const t0 = performance.now();
    appendFileSync(join(runDir, 'events.jsonl'), metricLine(step));
    while (!arrivals.has(step) && performance.now() - t0 < 3000) await new Promise((r) => setTimeout(r, 2));
    samples.push((arrivals.get(step) ?? Infinity) - t0);
    await new Promise((r) => setTimeout(r, 150)); // a realistic pace: a few steps per second
  }
  await manager.close();
  samples.sort((a, b) => a - b);
  const p = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!.toFixed(1);
  console.log(`latency line -> subscriber: median ${p(0.5)} ms, p95 ${p(0.95)} ms, max ${p(1)} ms over ${samples.length} lines (target < 300 ms)`);
}

async function memory(): Promise<void> {
  const file = join(dir, 'million.jsonl');
  await writeLines(file, 1_000_000);
  global.gc?.();
  const before = process.memoryUsage().rss;
  let peak = before;
  let count = 0;
  const tailer = new EventsTailer(file, {
    onEvents: (e) => {
      count += e.length;
      peak = Math.max(peak, process.memoryUsage().rss);
    },
  });
  const t0 = performance.now();
  await tailer.readNew();
  const s = (performance.now() - t0) / 1000;
  const mb = (b: number) => (b / 1024 / 1024).toFixed(0);
  console.log(
    `memory following 1M lines (${mb(tailer.position)} MB file): rss ${mb(before)} MB before, peak ${mb(peak)} MB (+${mb(peak - before)} MB), ${count} events in ${s.toFixed(1)} s`,
  );
}

async function idle(): Promise<void> {
  const root = join(dir, 'idle');
  await fakeLiveRun(root, 'quiet');
  const manager = new RunManager({ runsRoot: root, telemetry: null });
  await manager.init();
  await new Promise((r) => setTimeout(r, 500));
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, 10_000));
  const used = process.cpuUsage(c0);
  const wall = performance.now() - t0;
  await manager.close();
  const pct = ((used.user + used.system) / 1000 / wall) * 100;
  console.log(`idle watcher: ${pct.toFixed(3)}% of one core over ${(wall / 1000).toFixed(1)} s (target < 1%)`);
}

try {
  await parsing();
  await latency();
  await memory();
  await idle();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
