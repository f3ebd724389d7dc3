// Pure helpers for the Method step: a recommendation row as a bar against the memory budget, and
// the run-configuration keys that choosing a row sets.
import type { MethodSpec, TrainSettings } from '../../../../electron/shared/contract/estimator';
import type { RecommendationRow } from '../../../../electron/shared/contract/recommend';
import type { RunConfigDraft } from '../../shared-state/train-settings';

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

/** The bundled DeepSpeed config of a ZeRO layout (as the presets name them); null: no DeepSpeed. */
export function zeroConfigFile(settings: Pick<TrainSettings, 'zeroStage' | 'offloadOptimizer' | 'offloadParams'>): string | null {
  if (settings.zeroStage === 0) return null;
  if (settings.zeroStage === 2) return 'resources/deepspeed/zero2.json';
  return settings.offloadOptimizer || settings.offloadParams ? 'resources/deepspeed/zero3_offload.json' : 'resources/deepspeed/zero3.json';
}

/**
 * Everything a recommendation row stands for: the method's flags and its engine layout
 * (checkpointing, ZeRO). Two rows of one method kind (LoRA r8 / r16, P-Tuning v1 / v2, ZeRO-2 /
 * ZeRO-3) differ here, which is what makes "the selected row is the row clicked" possible.
 */
export function planToConfig(row: Pick<RecommendationRow, 'method' | 'settings'>): RunConfigDraft {
  return { ...methodToConfig(row.method), gradient_checkpointing: row.settings.gradientCheckpointing, ds_file: zeroConfigFile(row.settings) };
}

const sameValue = (a: unknown, b: unknown) => (a ?? null) === (b ?? null);

/**
 * The row shown as selected: the plan the user (or the recommendation) chose, as long as the
 * settings still say what it says; otherwise (after a preset or an edit) the first row that the
 * settings match exactly, or none. Never "the first row of the same method kind".
 */
export function selectedPlanId(rows: readonly Pick<RecommendationRow, 'planId' | 'method' | 'settings'>[], chosenPlanId: string | null, draft: RunConfigDraft): string | null {
  const matches = (row: (typeof rows)[number]) => Object.entries(planToConfig(row)).every(([k, v]) => sameValue(draft[k], v));
  const chosen = rows.find((r) => r.planId === chosenPlanId);
  if (chosen && matches(chosen)) return chosen.planId;
  return rows.find(matches)?.planId ?? null;
}

export const VERDICT_WORDS: Record<RecommendationRow['verdict'], string> = {
  fits: 'fits',
  tight: 'tight',
  'does-not-fit': 'does not fit',
  unavailable: 'not available here',
};
