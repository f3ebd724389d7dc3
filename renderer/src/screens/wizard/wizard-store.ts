// The newcomer wizard's state: the step, the run configuration being drafted (trainer flag names)
// and what the host said about the chosen model and data. Derived values (can we go on? the CLI
// command) are computed from it by the pure functions in train-settings.ts.
import { create } from 'zustand';
import type { ModelInfo } from '../../../../electron/shared/contract/models';
import { methodOf, numberDefault } from '../../../../electron/shared/trainer-flags';
import { validateDraft, type RunConfigDraft, type SettingValue } from '../../shared-state/train-settings';

export const WIZARD_STEPS = ['model', 'data', 'method', 'review'] as const;
export type WizardStep = (typeof WIZARD_STEPS)[number];

/**
 * Sensible first-run values; presets and the recommender change them. The trainer's own defaults
 * come from its flag description; the others are the wizard's choice for a first run on a
 * workstation (the trainer's 1e-3, 1024 tokens and 16 per batch are the original scripts' GPU values).
 */
export const DEFAULT_DRAFT: RunConfigDraft = {
  train_type: methodOf({}), // the trainer's default method
  learning_rate: 1e-4,
  max_len: 512,
  // null: derived from max length (train-settings effectiveMaxSrcLen), shown as the field's placeholder.
  max_src_len: null,
  per_device_train_batch_size: 1,
  gradient_accumulation_steps: numberDefault('gradient_accumulation_steps'),
  num_train_epochs: numberDefault('num_train_epochs'),
  lora_dim: numberDefault('lora_dim'),
  gradient_checkpointing: true,
};

export interface WizardState {
  step: WizardStep;
  draft: RunConfigDraft;
  presetId: string | null;
  model: ModelInfo | null;
  /** The data check passed (or the user chose to skip bad lines). */
  dataOk: boolean;
  /** ChatGLM-6B only: its legacy environment exists and the user agreed to its files (null: not known yet). */
  legacyReady: boolean | null;
  setLegacyReady(ready: boolean | null): void;
  /** The user picked a method or preset themselves; until then the recommended plan is applied. */
  methodChosen: boolean;
  setMethodChosen(chosen: boolean): void;
  /** nvidia-smi indices chosen on the Method step (several GPUs only); null: the recommender's default. */
  gpus: number[] | null;
  setGpus(gpus: number[] | null): void;
  /** The recommendation row (plan id) the method settings came from; null after a preset. */
  planId: string | null;
  /** Applies a plan's settings; `byUser` marks it as the user's own choice. */
  choosePlan(planId: string, config: RunConfigDraft, byUser: boolean): void;
  setStep(step: WizardStep): void;
  set(key: string, value: SettingValue): void;
  applyPreset(id: string, config: Record<string, unknown>): void;
  setModel(dir: string, info: ModelInfo | null): void;
  setData(path: string, ok: boolean): void;
  reset(): void;
}

export const useWizardStore = create<WizardState>()((set) => ({
  step: 'model',
  draft: { ...DEFAULT_DRAFT },
  presetId: null,
  model: null,
  dataOk: false,
  legacyReady: null,
  methodChosen: false,
  planId: null,
  gpus: null,
  setGpus: (gpus) => set({ gpus }),
  setLegacyReady: (legacyReady) => set({ legacyReady }),
  setMethodChosen: (methodChosen) => set({ methodChosen }),
  choosePlan: (planId, config, byUser) => set((s) => ({ planId, methodChosen: s.methodChosen || byUser, draft: { ...s.draft, ...config } })),
  setStep: (step) => set({ step }),
  set: (key, value) => set((s) => ({ draft: { ...s.draft, [key]: value }, presetId: s.presetId })),
  applyPreset: (id, config) =>
    set((s) => ({
      presetId: id,
      methodChosen: true,
      planId: null,
      // A preset never replaces the user's own model and data choice.
      draft: {
        ...s.draft,
        ...pickSettings(config),
        model_name_or_path: s.draft.model_name_or_path ?? null,
        train_path: s.draft.train_path ?? null,
      },
    })),
  setModel: (dir, info) => set((s) => ({ model: info, legacyReady: null, draft: { ...s.draft, model_name_or_path: dir } })),
  setData: (path, ok) => set((s) => ({ dataOk: ok, draft: { ...s.draft, train_path: path } })),
  reset: () => set({ step: 'model', draft: { ...DEFAULT_DRAFT }, presetId: null, model: null, dataOk: false, legacyReady: null, methodChosen: false, planId: null, gpus: null }),
}));

/** Only plain values of a preset's config (it is validated by the host's schema already). */
function pickSettings(config: Record<string, unknown>): RunConfigDraft {
  const out: RunConfigDraft = {};
  for (const [k, v] of Object.entries(config)) {
    if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = v;
  }
  return out;
}

/** Why the user cannot go past `step` yet, or null when they can. */
export function stepBlocker(step: WizardStep, s: Pick<WizardState, 'draft' | 'model' | 'dataOk' | 'legacyReady'>): string | null {
  switch (step) {
    case 'model': {
      if (!s.draft.model_name_or_path) return 'Choose a model folder first.';
      if (!s.model) return 'The model folder has not been inspected yet.';
      // What the trainer would refuse anyway: say it here, where the fix is offered.
      const needs = s.model.needs;
      if (needs.some((n) => n.startsWith('needs import-chatglm'))) return 'Convert this ChatGLM checkpoint with import-chatglm first (see above).';
      if (needs.some((n) => n.startsWith('needs convert-weights'))) return 'Write the safetensors copy of the weights first (above).';
      if (s.model.chatglmGeneration === 'chatglm-6b' && s.legacyReady !== true) return 'Agree to run the model’s files and create its environment first (above).';
      return null;
    }
    case 'data':
      if (!s.draft.train_path) return 'Choose a data file first.';
      if (!s.dataOk) return 'Fix the data errors above, or choose to skip the bad lines.';
      return null;
    case 'method': {
      if (!s.draft.train_type) return 'Choose a method.';
      // Every bad number blocks here, where it was typed (and is shown), not at Start.
      const { model_name_or_path: _model, train_path: _data, ...bad } = validateDraft(s.draft);
      const n = Object.keys(bad).length;
      return n === 0 ? null : `Fix the ${n === 1 ? 'setting' : `${n} settings`} marked in red above.`;
    }
    case 'review':
      return null;
  }
}
