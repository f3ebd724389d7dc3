// The speed of earlier runs under the runs root, as the time estimate's best basis: each run's
// tokens/s by the wall clock (read from the head of its events.jsonl), and the earlier run that is
// most like the one asked about (same model, method and kind of device; same settings first).
import { existsSync } from 'node:fs';
import { open, readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { HardwareReport } from '../../shared/contract/hardware';
import { readJsonFile, runMetaSchema } from '../runs/run-files';
import type { DeviceTarget, MeasuredSpeed } from './time-estimate';
import { num, setting, targetDevice, type Config } from './time-estimate-inputs';

/** A key that says "the same kind of device": the CPU, or the GPU model and how many. */
const deviceKey = (d: DeviceTarget) => (d.kind === 'cpu' ? 'cpu' : `${d.kind}:${d.name}x${d.count}`);

/**
 * Tokens trained per wall-clock second after the first metrics event: each event's tokens/s times
 * the time since the previous one is the tokens of that window. What a user waited, not the best
 * window: the time spent in evals and checkpoints, and on a busy machine, is in it. The median of
 * the readings stands in when the timestamps say nothing (all equal).
 */
export function wallClockSpeed(readings: Array<{ ts: number; tps: number }>): number {
  let tokens = 0;
  for (let i = 1; i < readings.length; i++) tokens += readings[i]!.tps * Math.max(0, readings[i]!.ts - readings[i - 1]!.ts);
  const seconds = readings.at(-1)!.ts - readings[0]!.ts;
  if (seconds > 0 && tokens > 0) return tokens / seconds;
  const sorted = readings.slice(1).map((r) => r.tps).sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** The start of a file, whole lines only: a long run's first megabytes hold plenty of speed readings. */
async function readHead(file: string, maxBytes: number): Promise<string> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(maxBytes);
    const { bytesRead } = await handle.read(buffer, 0, maxBytes, 0);
    const text = buffer.subarray(0, bytesRead).toString('utf8');
    return bytesRead < maxBytes ? text : text.slice(0, text.lastIndexOf('\n') + 1);
  } catch {
    return '';
  } finally {
    await handle.close();
  }
}

export interface PastRun {
  runId: string;
  startedAt: number;
  model: string;
  totalParams: number | null;
  method: string;
  device: DeviceTarget;
  config: Config;
  /** Tokens/s by the wall clock from its first metrics event on (warm-up left out; evals, checkpoints and a busy machine counted). */
  tokensPerSecond: number;
}

/** Runs under the runs root with speed readings, newest first (at most `limit` folders are read). */
export async function pastRuns(runsRoot: string, report: HardwareReport | null, limit = 200): Promise<PastRun[]> {
  let names: string[];
  try {
    names = (await readdir(runsRoot, { withFileTypes: true })).filter((d) => d.isDirectory() && !d.name.startsWith('.')).map((d) => d.name);
  } catch {
    return [];
  }
  // Run ids start with the time they were made, so the newest sort last.
  names.sort().reverse();
  const runs: PastRun[] = [];
  for (const name of names.slice(0, limit)) {
    const dir = join(runsRoot, name);
    const events = join(dir, 'events.jsonl');
    if (!existsSync(events)) continue;
    let started: Record<string, unknown> | null = null;
    const readings: Array<{ ts: number; tps: number }> = [];
    for (const line of (await readHead(events, 4 * 1024 * 1024)).split('\n')) {
      if (!line.includes('"run_started"') && !line.includes('"metrics"')) continue;
      try {
        const event = JSON.parse(line) as Record<string, unknown>;
        if (event.type === 'run_started') started = event;
        if (event.type === 'metrics') {
          const tps = num((event.values as Record<string, unknown> | undefined)?.tokens_per_s);
          const ts = num(event.ts);
          if (tps !== null && tps > 0 && ts !== null) readings.push({ ts, tps });
        }
      } catch {
        // a malformed line is no reading
      }
    }
    if (!started || readings.length < 2) continue;
    const meta = await readJsonFile(join(dir, 'run-meta.json'), runMetaSchema).catch(() => null);
    if (meta?.kind === 'preflight') continue;
    const config = (started.config ?? {}) as Config;
    const onCpu = String(started.device ?? '').startsWith('cpu');
    const device = onCpu ? { kind: 'cpu' as const, name: 'CPU', count: 1 } : targetDevice(report, { ...config, device: 'cuda' }, meta?.gpus);
    runs.push({
      runId: name,
      startedAt: num(started.ts) ?? 0,
      model: resolve(String(started.model ?? '')),
      totalParams: num(started.total_params),
      method: String(started.method ?? ''),
      device,
      config,
      tokensPerSecond: wallClockSpeed(readings),
    });
  }
  return runs;
}

/** The settings that change tokens/s, as a comparable value (the trainer's default where left out). */
const SPEED_SETTINGS: Array<[string, (c: Config) => unknown]> = [
  ['max_len', (c) => setting(c, 'max_len')],
  ['micro-batch', (c) => setting(c, 'per_device_train_batch_size')],
  ['gradient checkpointing', (c) => c.gradient_checkpointing === true],
  ['precision', (c) => (c.bf16 === true ? 'bf16' : c.fp16 === true ? 'fp16' : 'fp32')],
];

/** The best earlier run of this model and method on this kind of device: same settings first, then newest. */
export function bestPastRun(runs: PastRun[], want: { model: string; params: number | null; method: string; device: DeviceTarget; config: Config }): MeasuredSpeed | null {
  const sameModel = (r: PastRun) =>
    r.model === resolve(want.model) || (want.params !== null && r.totalParams !== null && Math.abs(r.totalParams - want.params) <= 0.02 * want.params);
  const candidates = runs.filter((r) => r.method === want.method && deviceKey(r.device) === deviceKey(want.device) && sameModel(r));
  if (candidates.length === 0) return null;
  const differences = (r: PastRun) => SPEED_SETTINGS.filter(([, value]) => value(r.config) !== value(want.config)).map(([label]) => label);
  const scored = candidates.map((r) => ({ r, diff: differences(r) })).sort((a, b) => a.diff.length - b.diff.length || b.r.startedAt - a.r.startedAt);
  const { r, diff } = scored[0]!;
  const other = diff.length > 0 ? ` (with another ${diff.join(', ')})` : '';
  return { tokensPerSecond: r.tokensPerSecond, label: `your earlier run ${r.runId} of this model and method on the same device${other}`, sameSettings: diff.length === 0 };
}
