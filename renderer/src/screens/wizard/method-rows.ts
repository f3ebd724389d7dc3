// Pure helpers for the Method step: a recommendation row as a bar against the memory budget, and
// the run-configuration keys that choosing a row sets.
import type { MethodSpec } from '../../../../electron/shared/contract/estimator';
import type { RecommendationRow } from '../../../../electron/shared/contract/recommend';
import type { RunConfigDraft } from '../../stores/train-settings';

export interface MemoryBar {
  /** Estimate as a share of the longest bar drawn (budget or largest estimate). */
  fraction: number;
  /** Where the budget line sits on the same scale, or null when the budget is unknown. */
  budgetAt: number | null;
  tone: 'ok' | 'warn' | 'bad' | 'off';
}

export function memoryBars(rows: readonly RecommendationRow[], budgetBytes: number | null): MemoryBar[] {
  const longest = Math.max(budgetBytes ?? 0, ...rows.map((r) => r.estimate.perGpuBytes), 1);
  return rows.map((r) => ({
    fraction: r.estimate.perGpuBytes / longest,
    budgetAt: budgetBytes === null ? null : budgetBytes / longest,
    tone: r.verdict === 'fits' ? 'ok' : r.verdict === 'tight' ? 'warn' : r.verdict === 'does-not-fit' ? 'bad' : 'off',
  }));
}

/** The trainer flags that a recommended method stands for. */
export function methodToConfig(method: MethodSpec): RunConfigDraft {
  switch (method.kind) {
    case 'lora':
      return { train_type: 'lora', lora_dim: method.rank, lora_module_name: method.targets.includes('all-linear') ? null : method.targets.join(',') };
    case 'freeze':
      return { train_type: 'freeze', trainable_layers: method.trainableLayers };
    case 'ptuning':
      return { train_type: 'ptuning', ptuning_version: method.version, pre_seq_len: method.preSeqLen, prefix_projection: method.projection };
    case 'full':
      return { train_type: 'all' };
  }
}

export const VERDICT_WORDS: Record<RecommendationRow['verdict'], string> = {
  fits: 'fits',
  tight: 'tight',
  'does-not-fit': 'does not fit',
  unavailable: 'not available here',
};
