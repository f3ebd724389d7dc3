// The standard plans the recommender ranks and the UI tabulates: every method, with the engine
// layouts that make sense for it, for one model and one set of user settings.
import type { Estimate, MethodSpec, TrainSettings } from '../../shared/contract/estimator';
import type { ModelArch } from '../../shared/contract/models';
import { estimate, type EstimatorModel } from './estimate';

export interface Plan {
  id: string;
  label: string;
  /** Higher is more capable (more of the model adapts): full > freeze > LoRA > P-Tuning. */
  capability: number;
  method: MethodSpec;
  settings: TrainSettings;
}

export interface PlannedEstimate extends Plan {
  estimate: Estimate;
}

/**
 * The LoRA targets a plan estimates when the user names none: 'all-linear', which is what the
 * trainer trains when --lora_module_name is omitted (every attention and MLP projection of the
 * family: python-runtime/tunedesk/methods/lora.py). The wizard passes 'all-linear' on as "no
 * --lora_module_name", so the estimate and the run describe the same adapters.
 */
export function defaultLoraTargets(): string[] {
  return ['all-linear'];
}

/** User-facing knobs; the plans fill in method and engine layout. */
export interface PlanInput {
  dtype: TrainSettings['dtype'];
  microBatch: number;
  seqLen: number;
  gpus: number;
}

/** How capable each standard plan is (higher: more of the model adapts, then faster); by plan id. */
export const PLAN_CAPABILITY: Record<string, number> = {
  'full-zero3-offload': 6,
  'full-zero3': 6.2,
  'full-zero2': 6.4,
  full: 6.3,
  freeze: 5,
  'lora-r16': 4.2,
  'lora-r8': 4,
  'lora-r8-nockpt': 4.1,
  'ptuning-v2': 3,
  'ptuning-v1': 2,
};

export function standardPlans(arch: ModelArch, input: PlanInput): Plan[] {
  const base: TrainSettings = {
    dtype: input.dtype,
    microBatch: input.microBatch,
    seqLen: input.seqLen,
    gradientCheckpointing: true,
    gpus: input.gpus,
    zeroStage: input.gpus > 1 ? 2 : 0,
    offloadOptimizer: false,
    offloadParams: false,
  };
  const zero2 = { ...base, zeroStage: 2 as const };
  const targets = defaultLoraTargets();
  const freezeLayers = Math.min(4, arch.layers);
  const plans: Plan[] = [
    { id: 'full-zero3-offload', label: 'Full, ZeRO-3 + CPU offload', capability: PLAN_CAPABILITY['full-zero3-offload']!, method: { kind: 'full' }, settings: { ...base, zeroStage: 3, offloadOptimizer: true, offloadParams: true } },
    { id: 'full-zero3', label: 'Full, ZeRO-3', capability: PLAN_CAPABILITY['full-zero3']!, method: { kind: 'full' }, settings: { ...base, zeroStage: 3 } },
    { id: 'full-zero2', label: 'Full, ZeRO-2', capability: PLAN_CAPABILITY['full-zero2']!, method: { kind: 'full' }, settings: zero2 },
    { id: 'full', label: 'Full', capability: PLAN_CAPABILITY['full']!, method: { kind: 'full' }, settings: base },
    { id: 'freeze', label: `Freeze, last ${freezeLayers} layers`, capability: PLAN_CAPABILITY['freeze']!, method: { kind: 'freeze', trainableLayers: freezeLayers }, settings: base },
    { id: 'lora-r16', label: 'LoRA r16', capability: PLAN_CAPABILITY['lora-r16']!, method: { kind: 'lora', rank: 16, targets }, settings: base },
    { id: 'lora-r8', label: 'LoRA r8', capability: PLAN_CAPABILITY['lora-r8']!, method: { kind: 'lora', rank: 8, targets }, settings: base },
    { id: 'lora-r8-nockpt', label: 'LoRA r8, no checkpointing (faster)', capability: PLAN_CAPABILITY['lora-r8-nockpt']!, method: { kind: 'lora', rank: 8, targets }, settings: { ...base, gradientCheckpointing: false } },
    { id: 'ptuning-v2', label: 'P-Tuning v2, prefix 16 + projection', capability: PLAN_CAPABILITY['ptuning-v2']!, method: { kind: 'ptuning', version: 2, preSeqLen: 16, projection: true }, settings: base },
    { id: 'ptuning-v1', label: 'P-Tuning v1, 16 virtual tokens', capability: PLAN_CAPABILITY['ptuning-v1']!, method: { kind: 'ptuning', version: 1, preSeqLen: 16, projection: false }, settings: base },
  ];
  // With several GPUs the plain full plan is the ZeRO-2 one: list it once.
  return input.gpus > 1 ? plans.filter((p) => p.id !== 'full') : plans;
}

/** Every standard plan with its estimate (the table the UI redraws on every slider move). */
export function estimateTable(model: EstimatorModel, input: PlanInput): PlannedEstimate[] {
  return standardPlans(model.arch, input).map((plan) => ({ ...plan, estimate: estimate(model, plan.method, plan.settings) }));
}
