// Method recommendation: every standard plan ranked for this machine and model (fits / tight /
// does not fit / unavailable), with the estimate, the margin, the reason in plain words and what
// it needs; plus which presets fit. Never recommends what the installed engines cannot run.
import { z } from 'zod';
import { call } from './define';
import { estimateSchema, methodSpecSchema, trainSettingsSchema } from './estimator';
import { localPath } from './path-field';

export const verdictSchema = z.enum(['fits', 'tight', 'does-not-fit', 'unavailable']);
export type Verdict = z.infer<typeof verdictSchema>;

export const recommendationRowSchema = z.object({
  planId: z.string(),
  label: z.string(),
  method: methodSpecSchema,
  settings: trainSettingsSchema,
  estimate: estimateSchema,
  verdict: verdictSchema,
  /** Memory budget per device minus the estimate (negative: short by that much). */
  marginBytes: z.number(),
  reason: z.string(),
  /** What to do to run it ("install DeepSpeed to unlock ZeRO-3", "free 40 GiB of disk"). */
  needs: z.array(z.string()),
});
export type RecommendationRow = z.infer<typeof recommendationRowSchema>;

export const presetFitSchema = z.object({ id: z.string(), title: z.string(), verdict: verdictSchema, reason: z.string() });

export const recommendationSchema = z.object({
  device: z.enum(['cuda', 'mps', 'cpu']),
  gpuCount: z.number().int(),
  /** Memory per device the plans are measured against (free GPU memory, or RAM for CPU/MPS). */
  budgetBytes: z.number().nullable(),
  rows: z.array(recommendationRowSchema),
  /** The most capable plan that fits with margin; null when none does. */
  best: z.string().nullable(),
  presets: z.array(presetFitSchema),
  warnings: z.array(z.string()),
  /** Several NVIDIA GPUs: the ones these plans are for (the user's choice, or the best by default). */
  gpus: z.array(z.number().int()).optional(),
  /** Several NVIDIA GPUs the trainer can use: what the user can choose among. */
  gpuOptions: z.array(z.object({ index: z.number().int(), name: z.string(), freeBytes: z.number().nullable() })).optional(),
  /** What the trainer does by default for the best plan, each with why, for the wizard to show. */
  trainerDefaults: z
    .array(z.object({ setting: z.string(), value: z.string(), why: z.string() }))
    .optional(),
});
export type Recommendation = z.infer<typeof recommendationSchema>;

export const recommendCalls = {
  /** Rank every method for a model on this machine (or a chosen subset of its GPUs). */
  'recommend.plan': call(
    'Rank every tuning method for a local model on this machine: fits / tight (over 80% of free ' +
      'memory) / does not fit / unavailable (engine missing), with estimates, margins, reasons, ' +
      'what each needs, and which presets fit.',
    z.strictObject({
      modelDir: localPath({ must: 'exist', kind: 'directory' }),
      maxLen: z.number().int().min(8).max(1_048_576).default(1024),
      microBatch: z.number().int().min(1).max(4096).default(1),
      /** nvidia-smi indices to use; all GPUs when omitted. */
      gpus: z.array(z.number().int().min(0)).optional(),
      dtype: z.enum(['fp16', 'bf16', 'fp32']).optional(),
    }),
    recommendationSchema,
  ),
};
