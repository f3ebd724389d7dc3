// The trainer's settings as the wizard shows them: label, one line of help, bounds and whether a
// newcomer sees it. Keys are the trainer's own flags (python-runtime/tunedesk/config.py), so the
// run configuration the app sends and the CLI command it shows use the same names. A setting's
// type, choices, methods and defaults come from the trainer's description of its flags
// (electron/shared/trainer-flags.ts); label, help and bounds are the wizard's words.
import {
  isMethodOnly,
  numberDefault,
  PTUNING_VERSIONS,
  TRAIN_METHODS,
  trainerFlag,
} from '../../../electron/shared/trainer-flags';

export type SettingValue = string | number | boolean | null;
export type RunConfigDraft = Record<string, SettingValue>;

export interface SettingSpec {
  key: string;
  label: string;
  help: string;
  type: 'int' | 'float' | 'bool' | 'text' | 'choice';
  choices?: readonly string[];
  min?: number;
  /** The value must be above min, not equal to it (a learning rate of 0 trains nothing). */
  above?: boolean;
  max?: number;
  /** Shown to newcomers; the rest only with the expert switch on. */
  basic?: boolean;
  /** Only meaningful for these methods (the trainer's list; absent: every method). */
  methods?: readonly string[];
}

type SettingWords = Pick<SettingSpec, 'key' | 'label' | 'help' | 'min' | 'above' | 'max' | 'basic'>;

/** A wizard setting: the wizard's words and bounds, the trainer's type, choices and methods. */
function setting(words: SettingWords): SettingSpec {
  const flag = trainerFlag(words.key);
  // P-Tuning v2 first: it is the trainer's default, and a select shows its first option when empty.
  const listed = flag.name === 'ptuning_version' ? PTUNING_VERSIONS : flag.choices;
  const choices = listed ? [...(flag.nullable ? [''] : []), ...listed.map(String)] : undefined;
  const type = choices ? 'choice' : flag.type === 'str' ? 'text' : flag.type;
  return { ...words, type, ...(choices ? { choices } : {}), ...(isMethodOnly(flag.name) ? { methods: flag.methods } : {}) };
}

export const METHODS = TRAIN_METHODS;
export const METHOD_NAMES: Record<string, string> = {
  lora: 'LoRA',
  freeze: 'Freeze (train the last layers only)',
  ptuning: 'P-Tuning',
  all: 'Full fine-tuning',
};

export const SETTINGS: readonly SettingSpec[] = [
  setting({ key: 'num_train_epochs', label: 'Epochs', help: 'How many times to go through the data.', min: 1, max: 1000, basic: true }),
  setting({ key: 'max_steps', label: 'Max steps', help: 'Stop after this many optimizer steps (empty: all epochs).', min: 1, max: 100_000_000 }),
  setting({ key: 'learning_rate', label: 'Learning rate', help: 'Step size; too high makes the loss explode.', min: 0, above: true, max: 10, basic: true }),
  setting({ key: 'max_len', label: 'Max length (tokens)', help: 'Longer samples are cut; longer costs memory.', min: 8, max: 131072, basic: true }),
  setting({ key: 'max_src_len', label: 'Max prompt length', help: 'Tokens kept from the prompt part; must leave room for the answer.', min: 1, max: 131072, basic: true }),
  setting({ key: 'per_device_train_batch_size', label: 'Batch size per device', help: 'Samples per step on each device.', min: 1, max: 4096, basic: true }),
  setting({ key: 'gradient_accumulation_steps', label: 'Gradient accumulation', help: 'Micro-batches per optimizer step.', min: 1, max: 4096 }),
  setting({ key: 'weight_decay', label: 'Weight decay', help: 'AdamW weight decay (honoured, unlike the original scripts).', min: 0, max: 1 }),
  setting({ key: 'warmup_ratio', label: 'Warm-up ratio', help: 'Share of steps spent ramping the learning rate up.', min: 0, max: 1 }),
  setting({ key: 'max_grad_norm', label: 'Gradient clipping', help: 'Largest gradient norm before clipping.', min: 0, max: 1_000_000 }),
  setting({ key: 'gradient_checkpointing', label: 'Gradient checkpointing', help: 'Recompute activations: much less memory, about 30% slower.', basic: true }),
  setting({ key: 'save_model_step', label: 'Save every N steps', help: 'A checkpoint every N steps (empty: at the end).', min: 1, max: 100_000_000 }),
  setting({ key: 'save_total_limit', label: 'Keep last N checkpoints', help: 'Older checkpoints are removed.', min: 1, max: 10_000 }),
  setting({ key: 'show_loss_step', label: 'Report every N steps', help: 'How often the loss is logged to train.log.', min: 1, max: 100_000_000 }),
  setting({ key: 'seed', label: 'Seed', help: 'Same seed, same data order and initialisation.', min: 0, max: 4_294_967_295 }),
  setting({ key: 'mode', label: 'Prompt template', help: 'glm/glm2/glm3 for the ChatGLM line; empty: the tokenizer’s chat template.' }),
  setting({ key: 'is_skip', label: 'Drop over-long samples', help: 'Skip samples longer than max length instead of cutting them.' }),
  setting({ key: 'skip_bad_lines', label: 'Skip bad data lines', help: 'Train on the valid lines; the bad ones are counted and listed.' }),
  setting({ key: 'drop_empty_output', label: 'Leave out empty answers', help: 'Samples whose answer is empty are trained by default (the original scripts did); this leaves them out.' }),
  setting({ key: 'eval_split', label: 'Eval split', help: 'Share of the data held out for eval loss (0: none).', min: 0, max: 0.5 }),
  setting({ key: 'torch_compile', label: 'Compile layers (torch.compile)', help: 'Faster steps after a one-time compile (40–60 s on a CPU): pays on long runs only. Needs a C++ compiler (CPU) or Triton (NVIDIA).' }),
  setting({ key: 'bf16', label: 'bf16', help: 'bfloat16 mixed precision where the device supports it.' }),
  setting({ key: 'fp16', label: 'fp16', help: 'float16 mixed precision (GPU).' }),
  setting({ key: 'device', label: 'Device', help: 'auto picks the GPU when torch can use one.' }),
  setting({ key: 'ds_file', label: 'DeepSpeed config', help: 'A ZeRO config file (resources/deepspeed/ has ZeRO-2, ZeRO-3 and ZeRO-3 offload); empty: one device, no DeepSpeed.' }),
  setting({ key: 'lora_dim', label: 'LoRA rank', help: 'Size of the low-rank update; 8–64 is usual.', min: 1, max: 1024, basic: true }),
  setting({ key: 'lora_alpha', label: 'LoRA alpha', help: 'Scale of the update (often 2–4× the rank).', min: 1, max: 65_536 }),
  setting({ key: 'lora_dropout', label: 'LoRA dropout', help: 'Dropout on the LoRA path.', min: 0, max: 0.9 }),
  setting({ key: 'lora_module_name', label: 'LoRA target modules', help: 'Comma-separated module names; empty: the family’s default.' }),
  setting({ key: 'trainable_layers', label: 'Trainable layers', help: 'Train only the last N transformer blocks.', min: 1, max: 1000, basic: true }),
  setting({ key: 'freeze_module_name', label: 'Trainable module names', help: 'The original scripts’ list (e.g. "layers.27.,layers.26.").' }),
  setting({ key: 'pre_seq_len', label: 'Prefix length', help: 'Number of trainable virtual tokens.', min: 1, max: 1024, basic: true }),
  setting({ key: 'prefix_projection', label: 'Prefix projection', help: 'An MLP over the prefix (more memory, sometimes better).' }),
  setting({ key: 'ptuning_version', label: 'P-Tuning version', help: 'v2: a prefix on every layer; v1: on the input embeddings only.' }),
];

/** The settings to show for a method, newcomer or expert. */
export function visibleSettings(method: string, expert: boolean): SettingSpec[] {
  return SETTINGS.filter((s) => (!s.methods || s.methods.includes(method)) && (expert || s.basic));
}

/** Every problem with a draft at once, by key (a form shows them all, not one at a time). */
export function validateDraft(draft: RunConfigDraft): Record<string, string> {
  const errors: Record<string, string> = {};
  if (!draft.model_name_or_path) errors.model_name_or_path = 'Choose a model folder.';
  if (!draft.train_path) errors.train_path = 'Choose a data file.';
  const method = String(draft.train_type ?? '');
  if (!(METHODS as readonly string[]).includes(method)) errors.train_type = 'Choose a method.';
  for (const spec of SETTINGS) {
    const v = draft[spec.key];
    if (v === null || v === undefined || v === '') continue;
    if (spec.methods && !spec.methods.includes(method)) continue;
    if (spec.type === 'int' || spec.type === 'float') {
      if (typeof v !== 'number' || !Number.isFinite(v)) errors[spec.key] = `${spec.label} must be a number${typeof v === 'string' ? ` (not “${v.slice(0, 20)}”)` : ''}.`;
      else if (spec.type === 'int' && !Number.isInteger(v)) errors[spec.key] = `${spec.label} must be a whole number.`;
      else if (spec.min !== undefined && spec.above && v <= spec.min) errors[spec.key] = `${spec.label} must be more than ${spec.min}.`;
      else if (spec.min !== undefined && v < spec.min) errors[spec.key] = `${spec.label} must be at least ${spec.min}.`;
      else if (spec.max !== undefined && v > spec.max) errors[spec.key] = `${spec.label} must be at most ${spec.max}.`;
    } else if (spec.type === 'choice' && spec.choices && !spec.choices.includes(String(v))) {
      errors[spec.key] = `${spec.label} must be one of ${spec.choices.filter(Boolean).join(', ')}.`;
    }
  }
  const maxLen = draft.max_len;
  const maxSrc = draft.max_src_len;
  // Only a typed prompt length can clash; the derived one always leaves room (effectiveMaxSrcLen).
  if (typeof maxLen === 'number' && typeof maxSrc === 'number' && maxSrc >= maxLen && !errors.max_src_len) {
    errors.max_src_len = `Max prompt length must be shorter than max length (${maxLen}) so the answer has room: at most ${maxLen - 1}, or empty to derive it.`;
  }
  if (draft.bf16 === true && draft.fp16 === true) errors.fp16 = 'Choose bf16 or fp16, not both.';
  return errors;
}

const NUMBER_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/**
 * Parses what the user typed into a setting's value; '' becomes null (the trainer's default).
 * Text that is not a number stays text, so validateDraft names it and NaN never enters the draft.
 */
export function parseSettingInput(spec: SettingSpec, text: string): SettingValue {
  const trimmed = text.trim();
  if (trimmed === '') return null;
  if (spec.type === 'int' || spec.type === 'float') {
    const n = Number(trimmed);
    return NUMBER_TEXT.test(trimmed) && Number.isFinite(n) ? n : trimmed;
  }
  if (spec.type === 'choice' && trainerFlag(spec.key).type === 'int') return Number(text);
  return text;
}

/** The prompt length used when none is typed: the trainer's default (256), at most half of max length. */
export const DEFAULT_MAX_SRC_LEN = numberDefault('max_src_len');
export function derivedMaxSrcLen(maxLen: SettingValue | undefined): number {
  const len = typeof maxLen === 'number' && Number.isFinite(maxLen) && maxLen >= 2 ? Math.floor(maxLen) : numberDefault('max_len');
  return Math.min(DEFAULT_MAX_SRC_LEN, Math.floor(len / 2));
}

/** The prompt length a run gets: the typed one, or the derived one (never left to the trainer's fixed 256). */
export function effectiveMaxSrcLen(draft: RunConfigDraft): number | SettingValue {
  const typed = draft.max_src_len;
  return typed === null || typed === undefined || typed === '' ? derivedMaxSrcLen(draft.max_len) : typed;
}

/** The draft as it is sent and shown: derived values filled in. */
export function withDerived(draft: RunConfigDraft): RunConfigDraft {
  return { ...draft, max_src_len: effectiveMaxSrcLen(draft) };
}

const quote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** The equivalent command line, with the trainer's (= the original scripts') flags. Settings not
 * for the chosen method and empty ones are left out. */
export function cliCommand(typedDraft: RunConfigDraft): string {
  const draft = withDerived(typedDraft);
  const method = String(draft.train_type ?? '');
  const parts = ['python -m tunedesk train'];
  const order = ['train_path', 'model_name_or_path', 'output_dir', 'train_type', ...SETTINGS.map((s) => s.key)];
  const seen = new Set<string>();
  for (const key of order) {
    if (seen.has(key)) continue;
    seen.add(key);
    const spec = SETTINGS.find((s) => s.key === key);
    if (spec?.methods && !spec.methods.includes(method)) continue;
    const v = draft[key];
    if (v === null || v === undefined || v === '') continue;
    parts.push(`--${key} ${quote(typeof v === 'boolean' ? (v ? 'true' : 'false') : String(v))}`);
  }
  return parts.join(' \\\n  ');
}

/** The settings in plain words for the Review step. */
export function describeDraft(draft: RunConfigDraft): string[] {
  const method = String(draft.train_type ?? '');
  const out: string[] = [];
  const n = (k: string) => (typeof draft[k] === 'number' ? (draft[k] as number) : null);
  const methodLine: Record<string, string> = {
    lora: `LoRA: small low-rank updates (rank ${n('lora_dim') ?? numberDefault('lora_dim')}) are trained; the model itself stays untouched.`,
    freeze: `Freeze: only the last ${n('trainable_layers') ?? 'chosen'} layer(s) are trained; the rest stays frozen.`,
    ptuning: `P-Tuning v${n('ptuning_version') ?? numberDefault('ptuning_version')}: ${n('pre_seq_len') ?? numberDefault('pre_seq_len')} trainable prefix tokens; the model stays untouched.`,
    all: 'Full fine-tuning: every weight of the model is trained (needs the most memory).',
  };
  if (methodLine[method]) out.push(methodLine[method]);
  out.push(`Model: ${String(draft.model_name_or_path ?? '—')}.`);
  out.push(`Data: ${String(draft.train_path ?? '—')}.`);
  const epochs = n('num_train_epochs');
  const steps = n('max_steps');
  const plural = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;
  out.push(steps ? `Stops after ${plural(steps, 'step', 'steps')}.` : `${plural(epochs ?? numberDefault('num_train_epochs'), 'pass', 'passes')} over the data.`);
  const batch = n('per_device_train_batch_size');
  const accum = n('gradient_accumulation_steps') ?? numberDefault('gradient_accumulation_steps');
  if (batch) out.push(`${plural(batch * accum, 'sample', 'samples')} per optimizer step (${batch} × ${accum} accumulation).`);
  if (n('learning_rate') !== null) out.push(`Learning rate ${n('learning_rate')}.`);
  if (n('max_len') !== null) out.push(`Samples are cut at ${n('max_len')} tokens, prompts at ${String(effectiveMaxSrcLen(draft))}${draft.max_src_len == null ? ' (derived from max length)' : ''}.`);
  if (draft.gradient_checkpointing === true) out.push('Gradient checkpointing saves memory at some speed.');
  return out;
}
