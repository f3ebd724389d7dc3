// Ranks every standard plan for one model on one machine. Best first: the most capable method
// that fits with margin (under 80% of the budget); then tight ones, then those that do not fit,
// then those the installed engines cannot run (with what to install).
import type { Estimate } from '../../shared/contract/estimator';
import type { ModelInfo } from '../../shared/contract/models';
import type { Recommendation, RecommendationRow, Verdict } from '../../shared/contract/recommend';
import type { Preset } from '../../shared/presets';
import { CPU_RUNTIME_BYTES, CUDA_CONTEXT_BYTES, estimate, GiB } from '../estimator/estimate';
import { standardPlans, type Plan } from '../estimator/plans';
import type { MachineBudget } from './machine-budget';
import { presetMethod, presetSettings } from './preset-plans';
import { trainerDefaults } from './trainer-defaults';

/** Over this share of the budget a plan is "tight": allocator spikes or another process may tip it over. */
export const TIGHT_SHARE = 0.8;
/** Checkpoints a run keeps on disk at once (save_total_limit-like), for the disk check. */
export const PLANNED_CHECKPOINTS = 2;

/** One unit everywhere; small sizes keep two decimals instead of reading "0.0 GiB". */
const gib = (bytes: number) => {
  const g = bytes / GiB;
  if (Math.abs(g) >= 0.95) return `${g.toFixed(1)} GiB`;
  return Math.abs(g) >= 0.01 ? `${g.toFixed(2)} GiB` : 'under 0.01 GiB';
};
/** "about 1.2 GiB", or "under 0.01 GiB" (never "about under"). */
const about = (bytes: number) => (bytes / GiB >= 0.01 ? `about ${gib(bytes)}` : gib(bytes));

export interface RecommendInput {
  model: ModelInfo;
  budget: MachineBudget;
  seqLen: number;
  microBatch: number;
  dtype?: 'fp16' | 'bf16' | 'fp32';
  presets?: Preset[];
  /**
   * ChatGLM-6B only: its legacy environment exists and the user agreed to run the model's current
   * files (the binding asks legacy-env; this pure function cannot). Without it every plan is unavailable.
   */
  legacyChatglmReady?: boolean;
}

/** ChatGLM-6B's legacy environment has transformers 4.33 and no DeepSpeed: what it cannot run. */
export const LEGACY_PTUNING_REASON =
  "P-Tuning is not available for ChatGLM-6B: TuneDesk's P-Tuning needs transformers 4.42+, and its legacy environment has 4.33; use LoRA, Freeze or full training";
export const LEGACY_DEEPSPEED_REASON =
  "DeepSpeed is not in ChatGLM-6B's legacy environment (not among its pinned packages): LoRA, Freeze or full training on one GPU";

/** What the process itself takes besides the plan's tensors: the CUDA context, or off a GPU the Python/torch runtime. */
const runtimeBytes = (device: MachineBudget['device']) => (device === 'cuda' ? CUDA_CONTEXT_BYTES : CPU_RUNTIME_BYTES);

/** Peak memory on the device this plan runs on: on CPU or MPS the process's runtime instead of a CUDA context. */
function deviceBytes(est: Estimate, device: MachineBudget['device']): number {
  return est.perGpuBytes - CUDA_CONTEXT_BYTES + runtimeBytes(device);
}

/** Bytes one checkpoint takes: trained weights in 16-bit plus Adam's fp32 m and v (optimizer.pt). */
function checkpointBytes(est: Estimate, plan: Pick<Plan, 'method'>): number {
  const weights = plan.method.kind === 'full' ? est.totalParams * 2 : est.trainableParams * 2;
  return weights + est.trainableParams * 8;
}

interface Judged {
  verdict: Verdict;
  margin: number;
  reason: string;
  needs: string[];
}

function judge(plan: Plan, est: Estimate, budget: MachineBudget, model: ModelInfo, legacyReady: boolean): Judged {
  const needs: string[] = [];
  const budgetBytes = Math.min(...budget.gpuMemory.map((g) => g.bytes ?? Number.NaN), budget.device === 'cpu' ? (budget.hostRamAvailableBytes ?? Number.NaN) : Infinity);
  const peak = deviceBytes(est, budget.device);
  const margin = budgetBytes - peak;
  const legacy = model.chatglmGeneration === 'chatglm-6b';
  // Before the DeepSpeed check: installing DeepSpeed would not help the legacy environment.
  if (legacy && legacyReady && plan.method.kind === 'ptuning') return { verdict: 'unavailable', margin, reason: LEGACY_PTUNING_REASON, needs };
  if (legacy && legacyReady && est.engine === 'deepspeed') return { verdict: 'unavailable', margin, reason: LEGACY_DEEPSPEED_REASON, needs };
  if (est.engine === 'deepspeed' && !budget.deepspeed) {
    const why = budget.device === 'cuda' ? budget.deepspeedDetail : `DeepSpeed needs CUDA GPUs (this is ${budget.device.toUpperCase()})`;
    const unlock = plan.settings.zeroStage === 3 ? 'ZeRO-3' : plan.settings.gpus > 1 ? 'several GPUs' : 'ZeRO-2';
    // Without CUDA nothing can be installed to unlock it: the reason says it all, once.
    if (budget.device === 'cuda') needs.push(`install DeepSpeed to unlock ${unlock} (pip install -r python-runtime/requirements-deepspeed.txt)`);
    return { verdict: 'unavailable', margin, reason: `needs the DeepSpeed engine: ${why}`, needs };
  }
  if (legacy && !legacyReady) {
    // The estimate stays on the row: it holds once the legacy environment exists and the user agreed
    // to run the model's code (legacyChatglmReady; the run manager checks it again).
    return {
      verdict: 'unavailable',
      margin,
      reason: 'ChatGLM-6B (first generation) trains only in its legacy environment, after you agree to run its own code (python -m tunedesk legacy-env --model <dir> --create --i-agree-to-run <dir>); LoRA, Freeze or full training with --mode glm',
      needs: [...model.needs],
    };
  }
  // Ready: the legacy environment is no longer something to do (convert-weights may still be).
  needs.push(...(legacy ? model.needs.filter((n) => !n.startsWith('legacy environment')) : model.needs));
  if (model.remoteCode && !model.chatglmGeneration) {
    needs.push('the model asks for remote code: read its Python files, then allow it with trust_remote_code');
  }
  if (!budget.trainerReady) needs.push('set up the trainer environment (npm run setup:python)');
  if (!Number.isFinite(budgetBytes)) {
    return { verdict: 'does-not-fit', margin: Number.NaN, reason: 'the device memory is unknown (nvidia-smi gave no figure): cannot tell whether it fits', needs };
  }
  let verdict: Verdict = peak <= TIGHT_SHARE * budgetBytes ? 'fits' : peak <= budgetBytes ? 'tight' : 'does-not-fit';
  const where = budget.device === 'cuda' ? `${plan.settings.gpus > 1 ? 'per GPU' : 'on the GPU'}` : budget.device === 'mps' ? 'of unified memory' : 'of RAM';
  let reason =
    verdict === 'fits'
      ? `fits: ${about(peak)} ${where} of ${gib(budgetBytes)} available (${gib(margin)} to spare)`
      : verdict === 'tight'
        ? `tight: ${about(peak)} ${where} of ${gib(budgetBytes)} (over ${TIGHT_SHARE * 100}%): ${budget.device === 'cuda' ? 'close other GPU programs' : 'close other programs'} or shorten max length`
        : `does not fit: ${about(peak)} ${where}, ${gib(budgetBytes)} available (short by ${gib(-margin)})`;
  const offload = plan.settings.offloadOptimizer || plan.settings.offloadParams;
  if (offload && verdict !== 'does-not-fit') {
    reason += `; offload keeps about ${gib(est.hostRamBytes)} in host RAM and makes each step several times slower`;
  }
  if (offload && budget.hostRamAvailableBytes !== null && est.hostRamBytes > budget.hostRamAvailableBytes) {
    verdict = 'does-not-fit';
    reason = `offload needs about ${gib(est.hostRamBytes)} of host RAM, ${gib(budget.hostRamAvailableBytes)} available`;
    needs.push(`free or add ${gib(est.hostRamBytes - budget.hostRamAvailableBytes)} of RAM`);
  }
  const disk = checkpointBytes(est, plan) * PLANNED_CHECKPOINTS;
  if (budget.freeDiskBytes !== null && disk > budget.freeDiskBytes) {
    needs.push(`${PLANNED_CHECKPOINTS} checkpoints need about ${gib(disk)} of disk, ${gib(budget.freeDiskBytes)} free: free space or keep fewer checkpoints`);
  }
  return { verdict, margin, reason, needs };
}

const ORDER: Record<Verdict, number> = { fits: 0, tight: 1, 'does-not-fit': 2, unavailable: 3 };

/**
 * The model as TuneDesk will train it. ChatGLM2/3 are converted by import-chatglm to the native
 * transformers glm layout, which uses fused SDPA attention and q/k/v/o projection names, so the
 * estimates are for that model, not for the remote code's eager fp32 softmax.
 */
export function asTrained(model: ModelInfo): ModelInfo {
  if (model.chatglmGeneration !== 'chatglm2-6b' && model.chatglmGeneration !== 'chatglm3-6b') return model;
  return { ...model, arch: { ...model.arch, attention: 'sdpa' } };
}

export function recommend(input: RecommendInput): Recommendation {
  const { budget } = input;
  const model = asTrained(input.model);
  const legacyReady = model.chatglmGeneration === 'chatglm-6b' && input.legacyChatglmReady === true;
  const gpus = budget.device === 'cuda' ? budget.gpuMemory.length : 1;
  const dtype = input.dtype ?? (budget.device === 'cpu' ? 'fp32' : 'bf16');
  const warnings: string[] = [];
  const planInput = { dtype, microBatch: input.microBatch, seqLen: input.seqLen, gpus };
  let plans = standardPlans(model.arch, planInput);
  if (gpus > 1 && (!budget.deepspeed || legacyReady)) {
    // Without DeepSpeed only one GPU trains: rank the single-GPU plans, keep the rest as "unavailable".
    const single = standardPlans(model.arch, { ...planInput, gpus: 1 }).filter((p) => p.settings.zeroStage === 0);
    plans = [...single, ...plans.map((p) => ({ ...p, id: `${p.id}-x${gpus}`, label: `${p.label} on ${gpus} GPUs` }))];
    warnings.push(
      legacyReady ? `${gpus} GPUs, but ChatGLM-6B's legacy environment has no DeepSpeed: training uses one GPU` : `${gpus} GPUs, but DeepSpeed is not available: without it training uses one GPU`,
    );
  }
  if (model.arch.maxPositions && input.seqLen > model.arch.maxPositions) {
    warnings.push(`max length ${input.seqLen} is longer than the model's ${model.arch.maxPositions} positions`);
  }
  if (model !== input.model) warnings.push('estimates are for the model after import-chatglm (native glm layout, fused attention)');
  if (legacyReady) warnings.push("ChatGLM-6B trains in its legacy environment with its own code (you agreed to its current files): LoRA, Freeze or full training, --mode glm");
  else if (model.remoteCode) warnings.push(`the model asks for remote code (${Object.keys(model.remoteCode).join(', ')}): it is reported, never run`);
  if (!budget.trainerReady) warnings.push('the trainer environment is not ready: run `npm run setup:python`');
  if (budget.cpuTorchStory) warnings.unshift(budget.cpuTorchStory);
  if (budget.device === 'cpu') warnings.push('training runs on the CPU: slow, fine for small models and the demo');

  const rows: RecommendationRow[] = plans.map((plan) => {
    const est = estimate(model, plan.method, plan.settings);
    const j = judge(plan, est, budget, model, legacyReady);
    // Off a GPU there is no CUDA context: the row's figure is the one its reason gives.
    const shown = budget.device === 'cuda' ? est : { ...est, perGpuBytes: deviceBytes(est, budget.device), breakdown: { ...est.breakdown, overhead: Math.max(0, est.breakdown.overhead - CUDA_CONTEXT_BYTES) + runtimeBytes(budget.device) } };
    return { planId: plan.id, label: plan.label, method: plan.method, settings: plan.settings, estimate: shown, verdict: j.verdict, marginBytes: j.margin, reason: j.reason, needs: j.needs };
  });
  const capability = new Map(plans.map((p) => [p.id, p.capability]));
  rows.sort((a, b) => {
    const byVerdict = ORDER[a.verdict] - ORDER[b.verdict];
    if (byVerdict) return byVerdict;
    if (a.verdict === 'fits' || a.verdict === 'tight') return (capability.get(b.planId) ?? 0) - (capability.get(a.planId) ?? 0);
    return a.estimate.perGpuBytes - b.estimate.perGpuBytes;
  });
  const best = rows.find((r) => r.verdict === 'fits')?.planId ?? null;
  if (!best) warnings.push('no plan fits with margin: shorten max length, lower the micro-batch, or use a smaller model');

  const presets = (input.presets ?? []).map((preset) => {
    if (preset.model === 'demo') {
      return { id: preset.id, title: preset.title, verdict: 'fits' as Verdict, reason: 'uses the embedded demo model: runs on any machine' };
    }
    if (preset.hardware.minGpus > gpus || (preset.hardware.device === 'gpu' && budget.device !== 'cuda')) {
      return { id: preset.id, title: preset.title, verdict: 'unavailable' as Verdict, reason: `needs ${preset.hardware.minGpus} NVIDIA GPU(s), this machine offers ${budget.device === 'cuda' ? gpus : 0}` };
    }
    const plan: Plan = { id: preset.id, label: preset.title, capability: 0, method: presetMethod(preset), settings: presetSettings(preset, gpus, dtype) };
    const j = judge(plan, estimate(model, plan.method, plan.settings), budget, model, legacyReady);
    return { id: preset.id, title: preset.title, verdict: j.verdict, reason: j.reason };
  });
  const known = budget.gpuMemory.map((g) => g.bytes).filter((b): b is number => b !== null);
  const budgetBytes = budget.device === 'cpu' ? budget.hostRamAvailableBytes : known.length ? Math.min(...known) : null;
  const defaults = trainerDefaults(model, budget, rows.find((r) => r.planId === best));
  return { device: budget.device, gpuCount: budget.device === 'cuda' ? gpus : 0, budgetBytes, rows, best, presets, warnings, trainerDefaults: defaults };
}
