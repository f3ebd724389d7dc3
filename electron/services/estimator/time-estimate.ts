// How long a training run will take, before it starts: optimizer steps x tokens per step over a
// speed. The speed comes from the best source there is, and the answer says which:
//   1. a previous run of the same base model and method on this machine's device, same settings
//   2. the preflight probe (two steps of this very configuration on its longest samples)
//   3. a previous run of the same model and method with other settings (batch, length, ...)
//   4. a compute estimate: FLOPs over the device's peak, plus the per-step launch overhead that
//      dominates small models (fitted to resources/calibration/h100-qwen05b.json)
// Always a range; "unknown" rather than an invented number. Pure: the host gathers the inputs
// (time-estimate-inputs.ts).

export type TimeBasisKind = 'previous-run' | 'preflight' | 'compute' | 'unknown';
export type TrainMethod = 'full' | 'lora' | 'freeze' | 'ptuning';

/** How the data is cut into optimizer steps (the trainer's train_loop.plan_steps). */
export interface StepPlan {
  /** Samples the trainer trains on (after is_skip and the eval split). */
  samples: number;
  microBatch: number;
  accumulation: number;
  /** Data-parallel processes (GPUs); 1 on a single device. */
  devices: number;
  epochs: number;
  maxSteps: number | null;
}

/** Optimizer steps per epoch and in total, exactly as the trainer counts them. */
export function optimizerSteps(plan: StepPlan): { perEpoch: number; total: number } {
  const perRank = Math.ceil(plan.samples / Math.max(1, plan.devices));
  const perEpoch = Math.max(1, Math.ceil(Math.ceil(perRank / Math.max(1, plan.microBatch)) / Math.max(1, plan.accumulation)));
  return { perEpoch, total: plan.maxSteps && plan.maxSteps > 0 ? plan.maxSteps : Math.max(1, plan.epochs) * perEpoch };
}

/** Samples the trainer keeps for training when eval_split holds some out (train.load_data). */
export function trainingSamples(samples: number, evalSplit: number | null): number {
  if (!evalSplit || evalSplit <= 0 || samples <= 1) return samples;
  return samples - Math.max(1, Math.floor(samples * evalSplit));
}

// Dense (no sparsity) bf16/fp16 tensor-core peaks, TFLOPS, from the vendors' data sheets. Consumer
// cards are listed with fp32 accumulation, which is what PyTorch's autocast uses. Order matters:
// the first pattern that matches wins (H100 PCIe before H100, L40S before L40, A100 before A10).
const GPU_PEAKS: Array<[RegExp, number, string]> = [
  [/\bGH200\b/i, 989, 'GH200'],
  [/\bH200\b/i, 989, 'H200'],
  [/\bH100\b.*\bPCIe\b/i, 756, 'H100 PCIe'],
  [/\bH100\b.*\bNVL\b/i, 835, 'H100 NVL'],
  [/\bH100\b/i, 989, 'H100'],
  [/\bH800\b/i, 989, 'H800'],
  [/\bH20\b/i, 148, 'H20'],
  [/\bB200\b/i, 2250, 'B200'],
  [/\bA100\b/i, 312, 'A100'],
  [/\bA800\b/i, 312, 'A800'],
  [/\bA10G\b/i, 70, 'A10G'],
  [/\bA10\b/i, 125, 'A10'],
  [/\bA40\b/i, 150, 'A40'],
  [/\bA30\b/i, 165, 'A30'],
  [/\bL40S\b/i, 362, 'L40S'],
  [/\bL40\b/i, 181, 'L40'],
  [/\bL4\b/i, 121, 'L4'],
  [/RTX\s*6000\s*Ada/i, 364, 'RTX 6000 Ada'],
  [/RTX\s*A6000/i, 155, 'RTX A6000'],
  [/RTX\s*A5000/i, 111, 'RTX A5000'],
  [/RTX\s*A4000/i, 77, 'RTX A4000'],
  [/RTX\s*5090/i, 209, 'RTX 5090'],
  [/RTX\s*4090/i, 165, 'RTX 4090'],
  [/RTX\s*4080/i, 97, 'RTX 4080'],
  [/RTX\s*4070\s*Ti/i, 80, 'RTX 4070 Ti'],
  [/RTX\s*4070/i, 58, 'RTX 4070'],
  [/RTX\s*3090/i, 71, 'RTX 3090'],
  [/RTX\s*3080/i, 60, 'RTX 3080'],
  [/RTX\s*3070/i, 41, 'RTX 3070'],
  [/RTX\s*3060/i, 25, 'RTX 3060'],
  [/\bV100\b/i, 125, 'V100'],
  [/\bT4\b/i, 65, 'T4'],
];

/** The GPU's dense half-precision tensor peak, or null for a GPU we have no figure for. */
export function gpuPeak(name: string): { tflops: number; label: string } | null {
  for (const [pattern, tflops, label] of GPU_PEAKS) if (pattern.test(name)) return { tflops, label };
  return null;
}

/**
 * Model FLOPs utilisation assumed for the compute-bound part: large models in PyTorch eager with
 * SDPA attention commonly reach 30-45% of the dense peak. The H100 calibration cannot confirm it:
 * a 0.5B model at micro-batch 1 is launch-bound there (2-6% MFU), which the overhead term models.
 */
export const MFU = { central: 0.35, optimistic: 0.5, pessimistic: 0.2 };

/** fp32 without tensor cores runs at roughly 1/14 of the half-precision tensor peak (H100: 67 vs 989). */
export const FP32_FRACTION = 1 / 14;

/**
 * Launch and Python overhead per transformer layer per micro-batch on a GPU, seconds. Fitted to the
 * H100 measurements (resources/calibration/h100-qwen05b.json: Qwen2.5-0.5B shape, 24 layers,
 * micro-batch 1, 512 and 2048 tokens): there the step time hardly depends on the length, so it is
 * overhead — LoRA's many small adapter kernels cost most, Freeze's short backward least.
 */
export const GPU_LAYER_OVERHEAD_S: Record<TrainMethod, { plain: number; checkpointing: number }> = {
  full: { plain: 0.0053, checkpointing: 0.0083 },
  lora: { plain: 0.0075, checkpointing: 0.0123 },
  freeze: { plain: 0.0019, checkpointing: 0.0067 },
  ptuning: { plain: 0.0038, checkpointing: 0.007 },
};

/**
 * The CPU, from this repository's own measurements on a 2-core machine: the trainer benchmark
 * (28.0M-parameter Llama, LoRA, one torch thread: 308 tokens/s, i.e. about 35 GFLOP/s per thread)
 * and the 2-layer demo model, where FLOPs say nothing: 0.012 s a step at micro-batch 1 (17 tokens)
 * and ~0.1 s at micro-batch 16 (about half a minute for the demo's 300 steps) — small tensors cost
 * per token and layer, far below the peak.
 */
export const CPU = { flopsPerCore: 40e9, coreScaling: 0.8, overheadPerMicro: 0.004, perTokenLayer: 2.5e-4 };

/** What the compute estimate needs to know about the model and method. */
export interface ComputeModel {
  totalParams: number;
  trainableParams: number;
  layers: number;
  hidden: number;
  method: TrainMethod;
  gradientCheckpointing: boolean;
  /** Mixed precision of the run; fp32 when neither --bf16 nor --fp16. */
  dtype: 'bf16' | 'fp16' | 'fp32';
  /** DeepSpeed ZeRO with the optimizer on the CPU. */
  offload: boolean;
}

export interface DeviceTarget {
  kind: 'gpu' | 'cpu' | 'other';
  /** GPU name as nvidia-smi says it, the CPU brand, or what the device is. */
  name: string;
  /** GPUs used (data parallel); 1 on a CPU. */
  count: number;
  /** Physical CPU cores (torch trains on all of them). */
  cpuCores?: number | null;
  /**
   * The 1-minute load average when the estimate is made (CPU only). On a shared machine the other
   * processes take most of the cores and the trainer gets about cores / load of them.
   */
  loadAverage?: number | null;
}

/**
 * Training FLOPs per token. Forward 2N; the backward pass costs 2N for the activation gradients
 * plus 2 per trainable weight for the weight gradients. Freeze stops the backward at the first
 * trainable layer (2N + 4T); methods with a frozen base still back-propagate through all of it
 * (LoRA, P-Tuning: 4N + 2T). Gradient checkpointing re-runs the forward (+2N, Freeze +2T).
 * Attention scores add about 6 x layers x hidden x length (causal).
 */
export function flopsPerToken(model: ComputeModel, tokensPerSample: number): number {
  const n = model.totalParams;
  const t = model.trainableParams;
  let flops: number;
  switch (model.method) {
    case 'full':
      flops = 6 * n + (model.gradientCheckpointing ? 2 * n : 0);
      break;
    case 'freeze':
      flops = 2 * n + 4 * t + (model.gradientCheckpointing ? 2 * t : 0);
      break;
    default:
      flops = 4 * n + 2 * t + (model.gradientCheckpointing ? 2 * n : 0);
  }
  return flops + 6 * model.layers * model.hidden * tokensPerSample;
}

export interface ComputeStep {
  /** Seconds per optimizer step: central, fastest and slowest plausible. */
  seconds: number;
  low: number;
  high: number;
  /** What limits it, in words. */
  note: string;
  label: string;
}

/**
 * One optimizer step from compute and overhead. The host launches kernels ahead of the GPU, so the
 * two overlap: the step takes at least the larger (fastest case) and at most their sum (slowest).
 */
export function computeStepSeconds(model: ComputeModel, device: DeviceTarget, micro: { microBatch: number; accumulation: number; tokensPerSample: number }): ComputeStep | null {
  const micros = micro.accumulation;
  const tokensPerDevice = micro.microBatch * micros * micro.tokensPerSample;
  const flops = flopsPerToken(model, micro.tokensPerSample) * tokensPerDevice;
  let computeAt: (mfu: number) => number;
  let overhead: number;
  let label: string;
  if (device.kind === 'gpu') {
    const peak = gpuPeak(device.name);
    if (!peak) return null;
    const precision = model.dtype === 'fp32' ? FP32_FRACTION : 1;
    computeAt = (mfu) => flops / (peak.tflops * 1e12 * precision * mfu);
    const perLayer = GPU_LAYER_OVERHEAD_S[model.method][model.gradientCheckpointing ? 'checkpointing' : 'plain'];
    overhead = perLayer * model.layers * micros;
    label = `${device.count > 1 ? `${device.count}x ` : ''}${peak.label}`;
  } else if (device.kind === 'cpu') {
    const cores = Math.max(1, device.cpuCores ?? 1);
    const flopsPerSecond = CPU.flopsPerCore * cores ** CPU.coreScaling;
    // Busy: the trainer takes the free cores only (torch_engine.cpu_threads), so everything slows
    // by the oversubscription. Calibrated on this project's shared 2-core machine at load 17:
    // the wizard's defaults on the demo model ran 0.076 s a step; idle they run 0.012 s.
    const busy = Math.max(1, (device.loadAverage ?? 0) / cores);
    computeAt = (mfu) => (flops / flopsPerSecond) * (MFU.central / mfu) * busy;
    overhead = (CPU.overheadPerMicro + CPU.perTokenLayer * model.layers * micro.microBatch * micro.tokensPerSample) * micros * busy;
    label = `this CPU (${cores} core${cores === 1 ? '' : 's'}${busy > 1.2 ? `, busy: load ${(device.loadAverage ?? 0).toFixed(1)}, so about ${busy.toFixed(1)}x slower than idle` : ''})`;
  } else {
    return null;
  }
  const central = computeAt(MFU.central);
  const fast = computeAt(MFU.optimistic);
  const slow = computeAt(MFU.pessimistic);
  let seconds = Math.max(central, overhead) + 0.3 * Math.min(central, overhead);
  let low = Math.max(fast, overhead * 0.7);
  // CPUs vary more (other jobs, memory bandwidth): a wider slow side there.
  let high = slow + overhead * (device.kind === 'cpu' ? 2.5 : 2);
  let note = central >= overhead ? 'compute-bound' : 'limited by per-step overhead (a small model)';
  if (device.count > 1) {
    // Gradients are all-reduced every step; ZeRO partitions add gathers.
    seconds *= 1.15;
    high *= 1.5;
  }
  if (model.offload) {
    // DeepSpeed's CPU Adam (~1.5e9 parameters/s) plus moving gradients and weights over PCIe.
    const offload = model.trainableParams * (1 / 1.5e9 + 4 / 12e9);
    seconds += offload;
    low += offload * 0.5;
    high += offload * 3;
    note = 'the optimizer runs on the CPU (ZeRO offload)';
  }
  return { seconds, low: Math.min(low, seconds), high: Math.max(high, seconds), note, label };
}

/** A speed measured on this machine: a previous run or the preflight probe. */
export interface MeasuredSpeed {
  tokensPerSecond: number;
  /** Seconds per optimizer step (the preflight probe knows it). */
  secondsPerStep?: number | null;
  /** Plain words: which run, and what differed. */
  label: string;
  /** Same model, method, device and the same batch, length and checkpointing. */
  sameSettings: boolean;
}

export interface TimeEstimateInput {
  plan: StepPlan;
  /** Mean tokens per sample from the data check (after truncation), or null when unknown. */
  meanTokens: number | null;
  maxLen: number;
  previousRun?: MeasuredSpeed | null;
  preflight?: MeasuredSpeed | null;
  compute?: { model: ComputeModel; device: DeviceTarget } | null;
  /** Why there is no compute estimate (unknown GPU, no model info), said when nothing else is known. */
  unknownReason?: string;
}

export interface TimeEstimate {
  seconds: number | null;
  lowSeconds: number | null;
  highSeconds: number | null;
  steps: number;
  tokensPerStep: number;
  tokensPerSecond: number | null;
  basis: string;
  source: TimeBasisKind;
}

const round = (x: number, digits = 3) => Number(x.toPrecision(digits));

export function estimateTrainingTime(input: TimeEstimateInput): TimeEstimate {
  const { plan } = input;
  const steps = optimizerSteps(plan).total;
  const tokensPerSample = input.meanTokens && input.meanTokens > 0 ? Math.min(input.meanTokens, input.maxLen) : input.maxLen;
  const samplesPerStep = plan.microBatch * plan.accumulation * plan.devices;
  const tokensPerStep = samplesPerStep * tokensPerSample;
  const totalTokens = steps * tokensPerStep;
  const lengthNote = input.meanTokens ? '' : ` It assumes every sample fills max_len (${input.maxLen} tokens); the data check gives the real lengths.`;
  const result = (seconds: number, low: number, high: number, source: TimeBasisKind, basis: string): TimeEstimate => ({
    seconds: round(seconds),
    lowSeconds: round(Math.min(low, seconds)),
    highSeconds: round(Math.max(high, seconds)),
    steps,
    tokensPerStep: round(tokensPerStep, 4),
    tokensPerSecond: round(totalTokens / seconds),
    basis: basis + lengthNote,
    source,
  });

  const fromRun = (run: MeasuredSpeed, spread: [number, number]) => {
    const seconds = totalTokens / run.tokensPerSecond;
    return result(seconds, seconds * spread[0], seconds * spread[1], 'previous-run', `Speed measured in ${run.label}: ${Math.round(run.tokensPerSecond)} tokens/s.`);
  };
  if (input.previousRun && input.previousRun.tokensPerSecond > 0 && input.previousRun.sameSettings) return fromRun(input.previousRun, [0.85, 1.2]);

  const probe = input.preflight;
  if (probe && probe.tokensPerSecond > 0) {
    // Time proportional to tokens (compute-bound) vs a fixed time per step (overhead-bound): the
    // probe trained on the longest samples, so the truth lies between the two.
    const byTokens = totalTokens / probe.tokensPerSecond;
    const bySteps = probe.secondsPerStep && probe.secondsPerStep > 0 ? steps * probe.secondsPerStep : byTokens;
    const low = Math.min(byTokens, bySteps);
    const high = Math.max(byTokens, bySteps);
    return result(Math.sqrt(low * high), low * 0.85, high * 1.25, 'preflight', `Speed measured by the memory check on this machine (${probe.label}: ${Math.round(probe.tokensPerSecond)} tokens/s on the longest samples).`);
  }

  if (input.previousRun && input.previousRun.tokensPerSecond > 0) return fromRun(input.previousRun, [0.6, 1.7]);

  if (input.compute) {
    const step = computeStepSeconds(input.compute.model, input.compute.device, { microBatch: plan.microBatch, accumulation: plan.accumulation, tokensPerSample });
    if (step) {
      const precision = input.compute.model.dtype === 'fp32' && input.compute.device.kind === 'gpu' ? ' in fp32 (turn on bf16 for tensor-core speed)' : '';
      return result(
        steps * step.seconds,
        steps * step.low,
        steps * step.high,
        'compute',
        `A rough figure from the speed of ${step.label}${precision}, ${step.note}; nothing has been measured on this machine yet — press Measure for a better one.`,
      );
    }
  }
  return {
    seconds: null,
    lowSeconds: null,
    highSeconds: null,
    steps,
    tokensPerStep: round(tokensPerStep, 4),
    tokensPerSecond: null,
    basis: `${input.unknownReason ?? 'No speed is known for this device'}: press Measure for a measured figure.`,
    source: 'unknown',
  };
}
