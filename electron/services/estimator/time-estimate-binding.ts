// Binding of 'estimator.time': gathers what the pure estimator (time-estimate.ts) needs — the data
// size, the model, the device the run will use, and the speed of earlier runs under the runs root —
// and never fails for want of any one of them: a missing piece narrows the basis, it is said so.
import { createReadStream, existsSync } from 'node:fs';
import { open, readdir, readFile, stat } from 'node:fs/promises';
import { homedir, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { ApiContext } from '../api/context';
import type { HandlerMap, ParsedRequest } from '../api/handler-types';
import type { HardwareReport } from '../../shared/contract/hardware';
import type { ModelInfo } from '../../shared/contract/models';
import type { MethodSpec } from '../../shared/contract/estimator';
import type { TimeEstimateResult } from '../../shared/contract/time-estimate';
import { numberDefault } from '../../shared/trainer-flags';
import { gpusButCpuTorch } from '../hardware/cpu-torch';
import { hardwareReport } from '../hardware/hardware-report';
import { inspectModel } from '../models/inspect-model';
import { defaultLoraTargets } from './plans';
import { zeroFromDsFile } from '../recommend/preset-plans';
import { readJsonFile, runMetaSchema } from '../runs/run-files';
import { paramCounts } from './trainable-params';
import {
  estimateTrainingTime,
  trainingSamples,
  type ComputeModel,
  type DeviceTarget,
  type MeasuredSpeed,
  type TrainMethod,
} from './time-estimate';

type Config = Record<string, unknown>;

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
// The trainer's default (resources/trainer-flags.json) where the configuration leaves a flag out.
type CountSetting = 'max_len' | 'per_device_train_batch_size' | 'gradient_accumulation_steps' | 'num_train_epochs';
const setting = (config: Config, key: CountSetting) => num(config[key]) ?? numberDefault(key);

/** Samples in a data file: non-empty lines of JSON lines, or the length of a JSON array. */
export async function countSamples(file: string): Promise<number | null> {
  try {
    if (file.endsWith('.json')) {
      if ((await stat(file)).size > 512 * 1024 * 1024) return null;
      const parsed: unknown = JSON.parse(await readFile(file, 'utf8'));
      return Array.isArray(parsed) ? parsed.length : null;
    }
    let count = 0;
    const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
    for await (const line of lines) if (line.trim() !== '') count++;
    return count;
  } catch {
    return null;
  }
}

/** The method as the estimator names it, with the knobs that set its trainable parameters. */
export function methodSpecOf(config: Config): MethodSpec {
  switch (config.train_type) {
    case 'all':
      return { kind: 'full' };
    case 'freeze':
      return { kind: 'freeze', trainableLayers: num(config.trainable_layers) ?? 1 };
    case 'ptuning':
      return {
        kind: 'ptuning',
        version: config.ptuning_version === 1 ? 1 : 2,
        preSeqLen: num(config.pre_seq_len) ?? numberDefault('pre_seq_len'),
        projection: config.prefix_projection !== false,
      };
    default:
      return {
        kind: 'lora',
        rank: num(config.lora_dim) ?? numberDefault('lora_dim'),
        targets: typeof config.lora_module_name === 'string' && config.lora_module_name ? config.lora_module_name.split(',') : defaultLoraTargets(),
      };
  }
}

const METHOD: Record<MethodSpec['kind'], TrainMethod> = { full: 'full', lora: 'lora', freeze: 'freeze', ptuning: 'ptuning' };

export function computeModelOf(info: ModelInfo, config: Config, onGpu: boolean): ComputeModel {
  const spec = methodSpecOf(config);
  const counts = paramCounts(info.arch, info.params, spec, info.arch.attention === 'eager-fp32-softmax');
  const zero = zeroFromDsFile(typeof config.ds_file === 'string' ? config.ds_file : undefined);
  return {
    totalParams: info.params + counts.added,
    trainableParams: counts.trainable,
    layers: info.arch.layers,
    hidden: info.arch.hidden,
    method: METHOD[spec.kind],
    gradientCheckpointing: config.gradient_checkpointing === true,
    dtype: config.bf16 === true ? 'bf16' : config.fp16 === true ? 'fp16' : 'fp32',
    // ZeRO offload is DeepSpeed's, and DeepSpeed runs on CUDA GPUs only.
    offload: onGpu && zero.offloadOptimizer,
  };
}

/** The device the run will train on: the chosen GPUs, else GPU 0 (the torch engine), else the CPU. */
export function targetDevice(report: HardwareReport | null, config: Config, gpus: number[] | undefined): DeviceTarget {
  const cores = report?.host.cpu?.physicalCores ?? null;
  const cpu: DeviceTarget = { kind: 'cpu', name: report?.host.cpu?.brand ?? 'CPU', count: 1, cpuCores: cores, loadAverage: loadavg()[0] ?? null };
  if (config.device === 'cpu') return cpu;
  if (config.device === 'mps') return { kind: 'other', name: 'Apple GPU (mps)', count: 1 };
  const nvidia = (report?.gpus ?? []).filter((g) => g.vendor === 'nvidia');
  // A CPU build of torch trains on the CPU whatever nvidia-smi shows: time it as the CPU.
  if (report?.trainer && gpusButCpuTorch(report.gpus, report.trainer)) return cpu;
  if (nvidia.length === 0) {
    const apple = report?.gpus.find((g) => g.vendor === 'apple');
    return apple ? { kind: 'other', name: apple.name, count: 1 } : cpu;
  }
  const chosen = gpus && gpus.length > 0 ? gpus : [nvidia[0]!.index ?? 0];
  const first = nvidia.find((g) => g.index === chosen[0]) ?? nvidia[0]!;
  return { kind: 'gpu', name: first.name, count: chosen.length };
}

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

/**
 * What the estimate needs from the machine; asked once per host (GPUs do not change while it runs).
 * With the trainer's (cached) doctor: a CPU build of torch trains on the CPU whatever nvidia-smi shows.
 */
function machine(ctx: ApiContext): Promise<HardwareReport | null> {
  return ctx.service('estimator.time.hardware', () =>
    hardwareReport({ diskPath: [ctx.dataDir, ctx.runsRoot].find((p) => existsSync(p)) ?? homedir() }).catch(() => null),
  );
}

export async function timeEstimateFor(request: ParsedRequest<'estimator.time'>, ctx: ApiContext): Promise<TimeEstimateResult> {
  const config = request.config as Config;
  const [report, info, counted] = await Promise.all([
    machine(ctx),
    inspectModel(request.config.model_name_or_path).catch(() => null),
    request.data ? Promise.resolve(request.data.samples) : countSamples(request.config.train_path),
  ]);
  const device = targetDevice(report, config, request.gpus);
  const devices = device.kind === 'gpu' ? device.count : 1;
  const evalSplit = config.eval_path ? 0 : num(config.eval_split);
  const plan = {
    samples: trainingSamples(counted ?? 0, evalSplit),
    microBatch: setting(config, 'per_device_train_batch_size'),
    accumulation: setting(config, 'gradient_accumulation_steps'),
    devices,
    epochs: setting(config, 'num_train_epochs'),
    maxSteps: num(config.max_steps),
  };
  const maxLen = setting(config, 'max_len');
  if (counted === null && !plan.maxSteps) {
    return {
      ...estimateTrainingTime({ plan: { ...plan, samples: 1 }, meanTokens: request.data?.meanTokens ?? null, maxLen }),
      seconds: null,
      lowSeconds: null,
      highSeconds: null,
      tokensPerSecond: null,
      basis: 'The number of samples is not known (the data file could not be counted), so neither is the number of steps.',
      source: 'unknown',
    };
  }
  const previousRun = bestPastRun(await pastRuns(ctx.runsRoot, report), {
    model: request.config.model_name_or_path,
    params: info?.params ?? null,
    method: String(config.train_type ?? 'lora'),
    device,
    config,
  });
  const preflight: MeasuredSpeed | null = request.measured
    ? { tokensPerSecond: request.measured.tokensPerSecond, secondsPerStep: request.measured.secondsPerStep, label: 'two steps of this configuration', sameSettings: true }
    : null;
  const unknownReason = !info
    ? 'The model folder could not be read, so its size is unknown'
    : device.kind === 'gpu'
      ? `TuneDesk has no speed figure for the ${device.name}`
      : `TuneDesk has no speed figure for ${device.name}`;
  return estimateTrainingTime({
    plan,
    meanTokens: request.data?.meanTokens ?? null,
    maxLen,
    previousRun,
    preflight,
    compute: info ? { model: computeModelOf(info, config, device.kind === 'gpu'), device } : null,
    unknownReason,
  });
}

export const timeEstimateHandlers: HandlerMap<'estimator.time'> = {
  'estimator.time': (request, ctx) => timeEstimateFor(request, ctx),
};
