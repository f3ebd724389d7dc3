// Preflight: before a long run, train two steps on the longest samples to measure the real peak
// memory, show it beside the estimate and, when it would not fit, propose the ladder of changes
// that lower it, mildest first: gradient checkpointing -> smaller micro-batch with more
// accumulation (same effective batch) -> ZeRO offload -> a lighter method.
import { createReadStream } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { makeRunId } from './run-id';
import type { TrainerConfig } from './run-files';
import type { RunManager } from './run-manager';

export interface LadderStep {
  change: string;
  /** The settings to apply, in the trainer's flag names. */
  settings: TrainerConfig;
  why: string;
}

const num = (v: unknown, fallback: number) => (typeof v === 'number' && Number.isFinite(v) ? v : fallback);

/** The changes that lower peak memory for this configuration, mildest first (pure; unit-tested). */
export function memoryLadder(config: TrainerConfig, options: { deepspeedAvailable: boolean }): LadderStep[] {
  const steps: LadderStep[] = [];
  if (config.gradient_checkpointing !== true) {
    steps.push({
      change: 'turn on gradient checkpointing',
      settings: { gradient_checkpointing: true },
      why: 'activations are recomputed in the backward pass instead of kept: much less memory, about 30% slower',
    });
  }
  const batch = num(config.per_device_train_batch_size, 16);
  const accum = num(config.gradient_accumulation_steps, 1);
  if (batch > 1) {
    const smaller = Math.max(1, Math.floor(batch / 2));
    const newAccum = Math.ceil((batch * accum) / smaller);
    steps.push({
      change: `micro-batch ${batch} -> ${smaller} with accumulation ${accum} -> ${newAccum}`,
      settings: { per_device_train_batch_size: smaller, gradient_accumulation_steps: newAccum },
      why: `the same effective batch (${smaller * newAccum}) in smaller pieces: activation memory roughly halves`,
    });
  }
  const zeroOffload = 'resources/deepspeed/ds_zero3_offload.json';
  if (!String(config.ds_file ?? '').endsWith('zero3_offload.json')) {
    steps.push({
      change: 'DeepSpeed ZeRO-3 with CPU offload',
      settings: { ds_file: zeroOffload },
      why: options.deepspeedAvailable
        ? 'optimizer state and parameters move to CPU memory: the GPU holds little more than activations'
        : 'needs DeepSpeed (pip install -r python-runtime/requirements-deepspeed.txt) and a CUDA GPU',
    });
  }
  const method = config.train_type;
  if (method === 'all' || method === 'freeze') {
    steps.push({ change: 'switch to LoRA', settings: { train_type: 'lora', lora_dim: 8 }, why: 'trains small adapters: no optimizer state for the base weights' });
  } else if (method === 'lora' && num(config.lora_dim, 8) > 4) {
    steps.push({ change: 'LoRA rank 4', settings: { lora_dim: 4 }, why: 'fewer adapter parameters (a small saving next to activations)' });
  }
  return steps;
}

/** The `count` longest lines of a JSON-lines file (a proxy for the longest samples), repeated to `need` lines. */
export async function longestLines(file: string, count: number, need: number): Promise<string[]> {
  const best: string[] = [];
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    if (best.length < count) best.push(line);
    else {
      const shortest = best.reduce((i, l, j) => (l.length < best[i]!.length ? j : i), 0);
      if (line.length > best[shortest]!.length) best[shortest] = line;
    }
  }
  best.sort((a, b) => b.length - a.length);
  return best.length === 0 ? [] : Array.from({ length: need }, (_, i) => best[i % best.length]!);
}

export interface PreflightResult {
  status: string;
  /** Measured peak memory of the two steps, GB (CUDA allocated on GPU, RSS on CPU). */
  measuredPeakGb: number | null;
  estimateGb: number | null;
  budgetGb: number | null;
  fits: boolean | null;
  /** True when the probe trained on the longest samples (JSON-lines data). */
  longestSamples: boolean;
  /** Speed of the probe's second step (the first warms up), for the time estimate; null without one. */
  measuredTokensPerSecond: number | null;
  measuredSecondsPerStep: number | null;
  ladder: LadderStep[];
  error: string | null;
}

export interface PreflightOptions {
  gpus?: number[];
  /** The estimator's figure, shown beside the measurement. */
  estimateGb?: number | null;
  /** Memory available to the run (per GPU), GB; without it, fits is null. */
  budgetGb?: number | null;
  deepspeedAvailable?: boolean;
}

/**
 * The probe's speed from its last metrics event: with show_loss_step 1 that is step 2 alone, after
 * the first step paid for warm-up (allocations, kernel selection). Seconds per step follow from
 * samples/s and the samples of one optimizer step (every GPU counted).
 */
export function probeSpeed(step: number, metrics: Record<string, number | null>, samplesPerStep: number): Pick<PreflightResult, 'measuredTokensPerSecond' | 'measuredSecondsPerStep'> {
  const tokens = metrics.tokens_per_s;
  const samples = metrics.samples_per_s;
  if (step < 2 || typeof tokens !== 'number' || !(tokens > 0)) return { measuredTokensPerSecond: null, measuredSecondsPerStep: null };
  return {
    measuredTokensPerSecond: tokens,
    measuredSecondsPerStep: typeof samples === 'number' && samples > 0 ? samplesPerStep / samples : null,
  };
}

/** Runs the two-step probe through the run manager (queued like any run) and removes it afterwards. */
export async function runPreflight(manager: RunManager, config: TrainerConfig, options: PreflightOptions = {}): Promise<PreflightResult> {
  const runId = `${makeRunId(String(config.train_type ?? 'run'))}-preflight`;
  const batch = num(config.per_device_train_batch_size, 16) * num(config.gradient_accumulation_steps, 1);
  const probe: TrainerConfig = { ...config, max_steps: 2, show_loss_step: 1, save_model_step: 1_000_000, eval_split: 0 };
  delete probe.eval_path;
  delete probe.eval_steps;
  let dataFile: string | null = null;
  let longestSamples = false;
  if (typeof config.train_path === 'string' && config.train_path.endsWith('.jsonl')) {
    const lines = await longestLines(config.train_path, batch, batch * 2);
    if (lines.length > 0) {
      dataFile = join(manager.runsRoot, `.${runId}-data.jsonl`);
      await writeFile(dataFile, lines.join('\n') + '\n');
      probe.train_path = dataFile;
      probe.is_skip = false;
      longestSamples = true;
    }
  }
  try {
    await manager.start(probe, { runId, gpus: options.gpus, kind: 'preflight' });
    const final = await manager.waitForEnd(runId);
    const peak = final.lastMetrics.mem_peak_gb;
    const measuredPeakGb = typeof peak === 'number' ? peak : null;
    const budgetGb = options.budgetGb ?? null;
    const fits = measuredPeakGb !== null && budgetGb !== null ? measuredPeakGb <= budgetGb * 0.95 : null;
    const speed = probeSpeed(final.step, final.lastMetrics, batch * Math.max(1, options.gpus?.length ?? 1));
    return {
      status: final.status,
      measuredPeakGb,
      estimateGb: options.estimateGb ?? null,
      budgetGb,
      fits,
      longestSamples,
      ...speed,
      ladder: fits === false || final.error?.kind === 'oom' ? memoryLadder(config, { deepspeedAvailable: Boolean(options.deepspeedAvailable) }) : [],
      error: final.error ? `${final.error.kind}: ${final.error.message}` : null,
    };
  } finally {
    if (dataFile) await rm(dataFile, { force: true });
    // The probe's checkpoint and folder are of no further use.
    await rm(manager.runDir(runId), { recursive: true, force: true });
  }
}
