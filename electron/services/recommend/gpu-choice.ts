// Several NVIDIA GPUs: which of them to plan for when the user has not chosen. Every GPU trains
// with the budget of the smallest one chosen, so an idle 80 GiB card beside a busy 24 GiB one does
// better alone. The default is the choice whose best plan is the most capable: all GPUs, or one.
import type { HardwareReport } from '../../shared/contract/hardware';
import type { Recommendation } from '../../shared/contract/recommend';
import { PLAN_CAPABILITY } from '../estimator/plans';
import { gpusButCpuTorch } from '../hardware/cpu-torch';

export interface GpuOption {
  index: number;
  name: string;
  freeBytes: number | null;
}

/** The NVIDIA GPUs a user can choose among; empty where the trainer cannot use them. */
export function gpuOptions(report: HardwareReport): GpuOption[] {
  if (gpusButCpuTorch(report.gpus, report.trainer)) return [];
  return report.gpus
    .filter((g) => g.vendor === 'nvidia' && g.index !== null && g.memoryTotalBytes !== null)
    .map((g) => ({ index: g.index!, name: g.name, freeBytes: g.memoryFreeBytes ?? g.memoryTotalBytes }));
}

/** How capable the best plan is (the recommender's own ranking); -1 when nothing fits. */
function bestCapability(rec: Recommendation): number {
  if (!rec.best) return -1;
  // Several-GPU plans carry a "-xN" suffix when DeepSpeed is missing; the capability is the plan's.
  return PLAN_CAPABILITY[rec.best.replace(/-x\d+$/, '')] ?? 0;
}

/** The candidate GPU sets (all of them, then each alone, largest free memory first) and the best of them. */
export function bestGpuChoice(options: GpuOption[], plan: (gpus: number[]) => Recommendation): { gpus: number[]; recommendation: Recommendation } {
  const all = options.map((o) => o.index);
  const singles = [...options].sort((a, b) => (b.freeBytes ?? 0) - (a.freeBytes ?? 0)).map((o) => [o.index]);
  let chosen: { gpus: number[]; recommendation: Recommendation; score: [number, number, number] } | null = null;
  for (const gpus of [all, ...singles]) {
    const recommendation = plan(gpus);
    // Most capable best plan first; then more GPUs (faster); then the larger budget (more margin).
    const score: [number, number, number] = [bestCapability(recommendation), gpus.length, recommendation.budgetBytes ?? 0];
    if (!chosen || score[0] > chosen.score[0] || (score[0] === chosen.score[0] && (score[1] > chosen.score[1] || (score[1] === chosen.score[1] && score[2] > chosen.score[2])))) {
      chosen = { gpus, recommendation, score };
    }
  }
  return { gpus: chosen!.gpus, recommendation: chosen!.recommendation };
}
