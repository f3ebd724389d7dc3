// Exports: merged, verified models from a run's checkpoints (Hugging Face safetensors, P-Tuning
// bundles, GGUF). Served by electron/services/export; the work runs in `python -m tunedesk export`.
import { z } from 'zod';
import { classifiedErrorSchema } from '../events';
import { call, topic } from './define';
import { localPath } from './path-field';

const runId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a run id is letters, digits, ".", "_" and "-"').max(200);
const jobId = z.string().regex(/^[A-Za-z0-9-]+$/).max(100);

/** What the trainer measured: max_abs_logit_diff, tolerance, training_effect, samples, passed... */
export const exportVerificationSchema = z.record(z.string(), z.unknown());

/** How an export ended. A failed one left nothing at the target. */
export const exportOutcomeSchema = z.discriminatedUnion('status', [
  z.object({ status: z.literal('completed'), out: z.string(), verification: exportVerificationSchema, messages: z.array(z.string()) }),
  z.object({
    status: z.literal('failed'),
    out: z.string(),
    error: classifiedErrorSchema,
    verification: exportVerificationSchema.optional(),
    messages: z.array(z.string()),
  }),
  z.object({ status: z.literal('cancelled'), out: z.string(), messages: z.array(z.string()) }),
]);

/** One finished export of a run (its export.json). */
export const exportListingSchema = z.object({
  name: z.string(),
  path: z.string(),
  kind: z.string().nullable(),
  format: z.string().nullable(),
  dtype: z.string().nullable(),
  step: z.number().nullable(),
  passed: z.boolean().nullable(),
  maxAbsLogitDiff: z.number().nullable(),
  created: z.number().nullable(),
});

export const exportCalls = {
  /** Start exporting a checkpoint; progress and the outcome arrive on 'export.progress'. */
  'export.start': call(
    'Export a checkpoint of a run (default: its newest complete one) as a merged, verified model. Returns at ' +
      "once with a job id; progress and the final outcome (with the verification record) arrive on 'export.progress'.",
    z.strictObject({
      runId,
      checkpoint: z.string().regex(/^step-\d+$/).optional(),
      format: z.enum(['hf', 'gguf']).default('hf'),
      dtype: z.enum(['fp32', 'fp16', 'bf16', 'q8_0', 'q5_0', 'q4_0']).optional(),
      out: localPath({ must: 'create', kind: 'directory' }).optional(),
      force: z.boolean().default(false),
    }),
    z.object({ jobId: z.string(), checkpoint: z.string() }),
  ),
  /** Cancel a running export; nothing is left at its target. */
  'export.cancel': call(
    'Cancel a running export (the trainer removes its staging folder; nothing is left at the target).',
    z.strictObject({ jobId }),
    z.object({ cancelled: z.boolean() }),
  ),
  /** The exports of a run, from <run>/exports/<name>/export.json. */
  'export.list': call(
    "List a run's exports with kind, format, dtype, step and the verification verdict.",
    z.strictObject({ runId }),
    z.object({ exports: z.array(exportListingSchema) }),
  ),
};

export const exportTopics = {
  /** Progress of one export job; the last event has done: true and the outcome. */
  'export.progress': topic(
    'Progress of an export job (stage, fraction in [0, 1], plain-language notes); the last event has done: true and the outcome.',
    z.object({
      jobId: z.string(),
      stage: z.string(),
      fraction: z.number().min(0).max(1),
      message: z.string().optional(),
      done: z.boolean(),
      outcome: exportOutcomeSchema.optional(),
    }),
  ),
};
