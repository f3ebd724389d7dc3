// Presets: partial run configurations the wizard applies with one click (resources/presets/*.json).
// `config` uses the trainer's own flag names (python-runtime/tunedesk/config.py, the original
// ChatGLM scripts' flags), so a preset is exactly what a user could type on the command line. The
// methods and choices come from the trainer's own description (trainer-flags.ts); the other keys'
// types are checked against it by tests/unit/trainer-flags.test.ts.
import { z } from 'zod';
import { PTUNING_VERSIONS, TRAIN_METHODS, textChoices } from './trainer-flags';

export const presetConfigSchema = z.strictObject({
  train_type: z.enum(TRAIN_METHODS),
  lora_dim: z.number().int().min(1).optional(),
  lora_alpha: z.number().int().min(1).optional(),
  lora_dropout: z.number().min(0).max(1).optional(),
  /** Comma-separated module names; omitted = the family's usual attention projections. */
  lora_module_name: z.string().min(1).optional(),
  trainable_layers: z.number().int().min(1).optional(),
  freeze_module_name: z.string().min(1).optional(),
  pre_seq_len: z.number().int().min(1).optional(),
  prefix_projection: z.boolean().optional(),
  ptuning_version: z.literal(PTUNING_VERSIONS).optional(),
  learning_rate: z.number().positive(),
  weight_decay: z.number().min(0).optional(),
  warmup_ratio: z.number().min(0).max(1).optional(),
  max_len: z.number().int().min(8),
  max_src_len: z.number().int().min(1).optional(),
  per_device_train_batch_size: z.number().int().min(1),
  gradient_accumulation_steps: z.number().int().min(1).optional(),
  num_train_epochs: z.number().int().min(1),
  max_steps: z.number().int().min(1).optional(),
  gradient_checkpointing: z.boolean().optional(),
  /** A DeepSpeed config under resources/deepspeed/ (ZeRO stage and offload come from it). */
  ds_file: z.string().min(1).optional(),
  device: z.enum(textChoices('device')).optional(),
  save_model_step: z.number().int().min(1).optional(),
  train_path: z.string().min(1).optional(),
  eval_path: z.string().min(1).optional(),
  model_name_or_path: z.string().min(1).optional(),
  mode: z.string().min(1).optional(),
});
export type PresetConfig = z.infer<typeof presetConfigSchema>;

export const presetSchema = z
  .strictObject({
    /** Kebab-case id, equal to the file name without .json. */
    id: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'ids are kebab-case'),
    title: z.string().min(1).max(80),
    description: z.string().min(1).max(600),
    /** Who it is for, in one line ("a first run, no GPU needed"). */
    audience: z.string().min(1).max(200),
    /** Where it is meant to run: the recommender checks it against the machine. */
    hardware: z.strictObject({
      device: z.enum(['cpu', 'gpu', 'any']),
      minGpus: z.number().int().min(0),
      /** Memory per GPU it was sized for, in GiB (null for CPU presets). */
      gpuMemoryGiB: z.number().positive().nullable(),
      /** Largest model it is meant for, in billions of parameters (null: any). */
      maxModelParamsB: z.number().positive().nullable(),
    }),
    /** 'demo': the embedded demo model and resources/demo data; 'user': the user's own model. */
    model: z.enum(['demo', 'user']),
    config: presetConfigSchema,
  })
  .superRefine((preset, ctx) => {
    const c = preset.config;
    if (c.ds_file && !/^resources\/deepspeed\/[\w.-]+\.json$/.test(c.ds_file)) {
      ctx.addIssue({ code: 'custom', path: ['config', 'ds_file'], message: 'ds_file must name a file under resources/deepspeed/' });
    }
    if (c.train_type === 'lora' && c.lora_dim === undefined) {
      ctx.addIssue({ code: 'custom', path: ['config', 'lora_dim'], message: 'a LoRA preset sets lora_dim' });
    }
    if (c.train_type === 'ptuning' && c.pre_seq_len === undefined) {
      ctx.addIssue({ code: 'custom', path: ['config', 'pre_seq_len'], message: 'a P-Tuning preset sets pre_seq_len' });
    }
    if (preset.hardware.device === 'cpu' && c.ds_file) {
      ctx.addIssue({ code: 'custom', path: ['config', 'ds_file'], message: 'DeepSpeed needs CUDA: a CPU preset cannot use ds_file' });
    }
  });
export type Preset = z.infer<typeof presetSchema>;
