// Several GPUs: by default the plans are for the GPU set whose best plan is the most capable — an
// idle 80 GiB card beside a 24 GiB one is planned alone (every GPU gets the smallest budget);
// two equal cards are planned together (DeepSpeed); budgets are per chosen GPU.
import { describe, expect, it } from 'vitest';
import { bestGpuChoice, type GpuOption } from '../../electron/services/recommend/gpu-choice';
import { recommend } from '../../electron/services/recommend/recommend';
import { PLAN_CAPABILITY } from '../../electron/services/estimator/plans';
import { GiB, gpuBudget, SIX_B } from '../helpers/recommend-fixtures';

const plannerFor = (options: GpuOption[], deepspeed = true, seqLen = 512) => (gpus: number[]) => {
  const chosen = options.filter((o) => gpus.includes(o.index));
  const budget = { ...gpuBudget(1, chosen.length, { deepspeed }), gpuMemory: chosen.map((o) => ({ name: o.name, bytes: o.freeBytes })) };
  return recommend({ model: SIX_B, budget, seqLen, microBatch: 1 });
};

describe('the default GPU choice', () => {
  it('plans an idle 80 GiB card alone rather than at the 24 GiB card’s budget (no DeepSpeed)', () => {
    const options: GpuOption[] = [
      { index: 0, name: 'RTX 4090', freeBytes: 24 * GiB },
      { index: 1, name: 'A100 80GB', freeBytes: 80 * GiB },
    ];
    const plan = plannerFor(options, false, 2048);
    const { gpus, recommendation } = bestGpuChoice(options, plan);
    expect(gpus).toEqual([1]);
    expect(recommendation.budgetBytes).toBe(80 * GiB);
    // Together, the 24 GiB card sets the budget (LoRA at 2048 tokens); alone, the A100 runs Freeze.
    expect(plan([0, 1]).best).toBe('lora-r16');
    expect(recommendation.best).toBe('freeze');
    expect(PLAN_CAPABILITY[recommendation.best!]).toBeGreaterThan(PLAN_CAPABILITY[plan([0, 1]).best!]!);
  });

  it('plans two equal cards together, with multi-GPU DeepSpeed plans and a budget per GPU', () => {
    const options: GpuOption[] = [
      { index: 0, name: 'A100 80GB', freeBytes: 80 * GiB },
      { index: 1, name: 'A100 80GB', freeBytes: 80 * GiB },
    ];
    const { gpus, recommendation } = bestGpuChoice(options, plannerFor(options));
    expect(gpus).toEqual([0, 1]);
    expect(recommendation.gpuCount).toBe(2);
    expect(recommendation.budgetBytes).toBe(80 * GiB);
    expect(recommendation.rows.some((r) => r.settings.gpus === 2 && r.estimate.engine === 'deepspeed' && r.verdict !== 'unavailable')).toBe(true);
  });
});
