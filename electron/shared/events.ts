// The event stream (events.jsonl), schema version 1 — the app's half of the contract.
// The trainer's half is python-runtime/tunedesk/events.py; both test against
// tests/fixtures/golden-events/. Unknown extra fields pass through (forward compatible).
import { z } from 'zod';
import { TRAIN_METHODS } from './trainer-flags';

export const EVENT_SCHEMA_VERSION = 1;

/** The run's train_type, as the trainer lists its methods (resources/trainer-flags.json). */
export const methodSchema = z.enum(TRAIN_METHODS);
export type Method = z.infer<typeof methodSchema>;

export const errorKindSchema = z.enum([
  'oom',
  'data',
  'config',
  'nan',
  'disk_full',
  'dependency',
  'runtime',
  'interrupted',
  'verification',
]);
export type ErrorKind = z.infer<typeof errorKindSchema>;

/** A classified failure: what went wrong, and what to change. */
export const classifiedErrorSchema = z.looseObject({
  kind: errorKindSchema,
  message: z.string(),
  hint: z.string(),
});
export type ClassifiedError = z.infer<typeof classifiedErrorSchema>;

const base = { v: z.literal(EVENT_SCHEMA_VERSION), ts: z.number() };
// Metric values are numbers; null stands for a non-finite value (JSON has no NaN).
const metricValues = z.record(z.string(), z.number().nullable());

/** First line of a training run: what runs, on what, and how big. */
export const runStartedEvent = z.looseObject({
  ...base,
  type: z.literal('run_started'),
  run_id: z.string(),
  method: methodSchema,
  engine: z.string(),
  model: z.string(),
  total_steps: z.number().int(),
  trainable_params: z.number().int(),
  total_params: z.number().int(),
  config: z.record(z.string(), z.unknown()),
});
/** Training metrics at one optimizer step. */
export const metricsEvent = z.looseObject({
  ...base,
  type: z.literal('metrics'),
  step: z.number().int(),
  epoch: z.number(),
  values: metricValues,
});
/** Evaluation on the eval split at one step. */
export const evalEvent = z.looseObject({
  ...base,
  type: z.literal('eval'),
  step: z.number().int(),
  values: metricValues,
});
/** A complete checkpoint; path is relative to the run directory. */
export const checkpointSavedEvent = z.looseObject({
  ...base,
  type: z.literal('checkpoint_saved'),
  step: z.number().int(),
  path: z.string(),
});
/** A human-readable message for the log panel. */
export const logEvent = z.looseObject({
  ...base,
  type: z.literal('log'),
  level: z.enum(['info', 'warning', 'error']),
  message: z.string(),
});
/** Last line of a run; error is required when the status is failed. */
export const runFinishedEvent = z
  .looseObject({
    ...base,
    type: z.literal('run_finished'),
    status: z.enum(['completed', 'cancelled', 'failed']),
    error: classifiedErrorSchema.optional(),
  })
  .refine((e) => e.status !== 'failed' || e.error !== undefined, { message: 'a failed run needs an error' });
/** Export progress: stage and fraction done. */
export const exportProgressEvent = z.looseObject({
  ...base,
  type: z.literal('export_progress'),
  stage: z.string(),
  fraction: z.number().min(0).max(1),
});
/** Export result with its verification record. */
export const exportFinishedEvent = z
  .looseObject({
    ...base,
    type: z.literal('export_finished'),
    status: z.enum(['completed', 'failed']),
    out: z.string(),
    verification: z.record(z.string(), z.unknown()).optional(),
    error: classifiedErrorSchema.optional(),
  })
  .refine((e) => e.status !== 'failed' || e.error !== undefined, { message: 'a failed export needs an error' });
/** One streamed piece of generated text. */
export const predictTokenEvent = z.looseObject({
  ...base,
  type: z.literal('predict_token'),
  index: z.number().int(),
  text: z.string(),
});
/** End of one prediction. */
export const predictFinishedEvent = z.looseObject({
  ...base,
  type: z.literal('predict_finished'),
  text: z.string(),
});

export const trainerEventSchema = z.union([
  runStartedEvent,
  metricsEvent,
  evalEvent,
  checkpointSavedEvent,
  logEvent,
  runFinishedEvent,
  exportProgressEvent,
  exportFinishedEvent,
  predictTokenEvent,
  predictFinishedEvent,
]);
export type TrainerEvent = z.infer<typeof trainerEventSchema>;
export type RunStartedEvent = z.infer<typeof runStartedEvent>;
export type MetricsEvent = z.infer<typeof metricsEvent>;
export type EvalEvent = z.infer<typeof evalEvent>;
export type CheckpointSavedEvent = z.infer<typeof checkpointSavedEvent>;
export type LogEvent = z.infer<typeof logEvent>;
export type RunFinishedEvent = z.infer<typeof runFinishedEvent>;
export type ExportProgressEvent = z.infer<typeof exportProgressEvent>;
export type ExportFinishedEvent = z.infer<typeof exportFinishedEvent>;
export type PredictTokenEvent = z.infer<typeof predictTokenEvent>;

export type ParsedLine = { ok: true; event: TrainerEvent } | { ok: false; error: string };

/** Parse one events.jsonl line; never throws. */
export function parseEventLine(line: string): ParsedLine {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return { ok: false, error: 'not valid JSON' };
  }
  const result = trainerEventSchema.safeParse(raw);
  if (!result.success) return { ok: false, error: result.error.issues[0]?.message ?? 'invalid event' };
  return { ok: true, event: result.data };
}
