// What may change when a run resumes from a checkpoint. The weights in a checkpoint only fit the
// same method, the same base model and the same adapter shape; the optimizer state fits only the
// same trainable parameters. Everything else (learning rate, epochs, data, batch size...) may
// change, and the changes are listed so the user sees what the new run does differently.

/** Settings a resumed run must keep, with the reason shown when a change is refused. */
export const LOCKED_ON_RESUME: Record<string, string> = {
  train_type: 'the checkpoint holds weights of this method; another method cannot continue from them',
  model_name_or_path: 'the checkpoint was trained on this base model; its weights do not fit another one',
  mode: 'the prompt template defines what the model learned; start a new run to change it',
  lora_dim: 'the LoRA rank is the shape of the saved adapter matrices',
  lora_module_name: 'the LoRA target modules are where the saved adapters attach',
  lora_alpha: 'the LoRA alpha scales the saved adapters; changing it changes what they compute',
  pre_seq_len: 'the prefix length is the shape of the saved P-Tuning prompt',
  prefix_projection: 'the prefix projection is part of the saved P-Tuning weights',
  ptuning_version: 'P-Tuning v1 and v2 save different weights',
  freeze_module_name: 'the trained layers are the ones whose weights and optimizer state were saved',
};

/** Keys that the service itself sets for every run; never reported as user changes. */
const BOOKKEEPING = new Set(['run_id', 'output_dir', 'parent', 'resume_from', 'created_at']);

export interface ConfigChange {
  key: string;
  from: unknown;
  to: unknown;
}

export interface RefusedChange extends ConfigChange {
  reason: string;
}

export interface ResumePlan {
  refused: RefusedChange[];
  applied: ConfigChange[];
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Splits the requested overrides into refused changes (with reasons) and changes that apply. */
export function planResume(parent: Record<string, unknown>, overrides: Record<string, unknown>): ResumePlan {
  const refused: RefusedChange[] = [];
  const applied: ConfigChange[] = [];
  for (const [key, to] of Object.entries(overrides)) {
    if (BOOKKEEPING.has(key) || to === undefined) continue;
    const from = parent[key];
    if (same(from, to)) continue;
    const reason = LOCKED_ON_RESUME[key];
    if (reason) refused.push({ key, from, to, reason });
    else applied.push({ key, from, to });
  }
  return { refused, applied };
}

/** A refused resume, with every refused change and its reason in the message. */
export class ResumeRefusedError extends Error {
  constructor(readonly plan: ResumePlan) {
    super(
      'cannot resume with these changes:\n' +
        plan.refused.map((r) => `  ${r.key}: ${JSON.stringify(r.from)} -> ${JSON.stringify(r.to)} (${r.reason})`).join('\n') +
        '\nStart a new run instead, or resume without these changes.',
    );
  }
}
