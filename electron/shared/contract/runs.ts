// Runs: start (queued per GPU set), watch, stop, resume and inspect training runs. Served by
// electron/services/runs (run manager, run list, compare, delete) and services/checkpoints.
import { z } from 'zod';
import { classifiedErrorSchema, trainerEventSchema } from '../events';
import { presetConfigSchema } from '../presets';
import { call, topic } from './define';
import { localPath } from './path-field';

const runId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a run id is letters, digits, ".", "_" and "-"').max(200);
const gpus = z.array(z.number().int().min(0).max(255)).max(64);

export const runStatusSchema = z.enum(['queued', 'running', 'completed', 'cancelled', 'failed', 'crashed']);

/**
 * A run configuration in the trainer's own flag names (`python -m tunedesk train --help`). Bounds are
 * the app's; names, types and choices agree with resources/trainer-flags.json (tests/unit/trainer-flags.test.ts).
 */
export const runConfigRequestSchema = z.strictObject({
  ...presetConfigSchema.shape,
  train_path: localPath({ must: 'exist', kind: 'file' }),
  eval_path: localPath({ must: 'exist', kind: 'file' }).optional(),
  model_name_or_path: localPath({ must: 'exist', kind: 'directory' }),
  ds_file: localPath({ must: 'exist', kind: 'file' }).optional(),
  is_skip: z.boolean().optional(),
  seed: z.number().int().optional(),
  show_loss_step: z.number().int().min(1).optional(),
  eval_split: z.number().min(0).max(0.99).optional(),
  eval_steps: z.number().int().min(1).optional(),
  save_total_limit: z.number().int().min(1).optional(),
  bf16: z.boolean().optional(),
  fp16: z.boolean().optional(),
  skip_bad_lines: z.boolean().optional(),
  /** Leave out samples whose answer is empty (by default they train, as the original scripts did). */
  drop_empty_output: z.boolean().optional(),
  max_grad_norm: z.number().min(0).optional(),
});

const gpuTelemetrySchema = z.object({
  index: z.number().int(),
  memUsedMb: z.number().nullable(),
  memTotalMb: z.number().nullable(),
  utilizationPct: z.number().nullable(),
  temperatureC: z.number().nullable(),
  powerW: z.number().nullable(),
});

const metricValues = z.record(z.string(), z.number().nullable());

/** The live summary of one run (services/runs/run-summary.ts RunSummary). */
export const runSummarySchema = z.object({
  runId: z.string(),
  status: runStatusSchema,
  method: z.string().nullable(),
  engine: z.string().nullable(),
  model: z.string().nullable(),
  totalSteps: z.number().nullable(),
  step: z.number(),
  epoch: z.number().nullable(),
  lastMetrics: metricValues,
  lastEval: metricValues,
  lastLoss: z.number().nullable(),
  bestLoss: z.number().nullable(),
  stepsPerSecond: z.number().nullable(),
  etaSeconds: z.number().nullable(),
  startedAt: z.number().nullable(),
  updatedAt: z.number().nullable(),
  finishedAt: z.number().nullable(),
  lastCheckpoint: z.object({ step: z.number(), path: z.string() }).nullable(),
  error: classifiedErrorSchema.nullable(),
  logTail: z.array(z.string()),
  malformedLines: z.number(),
  lastWarning: z.string().nullable(),
  telemetry: z.array(gpuTelemetrySchema),
  recentSteps: z.array(z.object({ step: z.number(), ts: z.number() })),
});

export const checkpointInfoSchema = z.object({
  name: z.string(),
  path: z.string(),
  absolutePath: z.string(),
  step: z.number().nullable(),
  complete: z.boolean(),
  loss: z.number().nullable(),
  sizeBytes: z.number(),
  created: z.number().nullable(),
  problem: z.string().nullable(),
});

/** One row of the runs list (services/runs/run-list.ts RunListing). */
export const runListingSchema = z.object({
  runId: z.string(),
  runDir: z.string(),
  status: runStatusSchema,
  method: z.string().nullable(),
  model: z.string().nullable(),
  bestLoss: z.number().nullable(),
  lastLoss: z.number().nullable(),
  step: z.number(),
  totalSteps: z.number().nullable(),
  startedAt: z.number().nullable(),
  finishedAt: z.number().nullable(),
  durationSeconds: z.number().nullable(),
  parent: z.object({ run_id: z.string(), checkpoint: z.string() }).nullable(),
  checkpoints: z.array(checkpointInfoSchema),
  problems: z.array(z.string()),
});

const configChange = z.object({ key: z.string(), from: z.unknown(), to: z.unknown() });
export const resumePlanSchema = z.object({
  refused: z.array(configChange.extend({ reason: z.string() })),
  applied: z.array(configChange),
});

const preflightResultSchema = z.object({
  status: z.string(),
  measuredPeakGb: z.number().nullable(),
  estimateGb: z.number().nullable(),
  budgetGb: z.number().nullable(),
  fits: z.boolean().nullable(),
  longestSamples: z.boolean(),
  /** Speed of the probe's second step (the first one warms up): real tokens per second and seconds per optimizer step. */
  measuredTokensPerSecond: z.number().nullable(),
  measuredSecondsPerStep: z.number().nullable(),
  ladder: z.array(z.object({ change: z.string(), settings: z.record(z.string(), z.unknown()), why: z.string() })),
  error: z.string().nullable(),
});

export const runsCalls = {
  /** Every run under the runs root (app-, CLI- and hand-made), newest first. */
  'runs.list': call(
    'List every run under the runs root with status, method, base model, best/last loss, duration and checkpoints.',
    z.strictObject({}),
    z.object({ runs: z.array(runListingSchema) }),
  ),
  /** One run: listing, live summary, its run.json and the app's run-meta.json. */
  'runs.get': call(
    'One run in detail: its listing, current summary (live if running), run.json and run-meta.json (GPUs, parent).',
    z.strictObject({ runId }),
    z.object({
      run: runListingSchema,
      summary: runSummarySchema,
      config: z.record(z.string(), z.unknown()).nullable(),
      meta: z.record(z.string(), z.unknown()).nullable(),
    }),
  ),
  /** The run's whole event history (events.jsonl), for charts; live updates follow on 'runs.update'. */
  'runs.history': call(
    "The run's events from events.jsonl (malformed lines skipped and counted) and its summary.",
    z.strictObject({ runId }),
    z.object({
      summary: runSummarySchema,
      events: z.array(trainerEventSchema),
      malformedLines: z.number(),
      /** Metrics and evals are downsampled (each series' min, max and last per bucket); true while a
       * long file is still being read and the events are a sample of it (ask again for the whole). */
      sampled: z.boolean().optional(),
    }),
  ),
  /** Start a run; it waits in the queue while another run holds its GPU set. */
  'runs.start': call(
    'Start a training run from a configuration in the trainer flag names. The service assigns the run id and ' +
      'output folder; several GPUs go through the DeepSpeed launcher. Returns at once (status queued or running).',
    z.strictObject({ config: runConfigRequestSchema, gpus: gpus.optional(), preset: z.string().max(100).optional() }),
    z.object({ summary: runSummarySchema }),
  ),
  /** The embedded demo with one click: makes the demo model once, then starts the demo-cpu preset. */
  'runs.startDemo': call(
    'Start the embedded demo: the tiny demo model (made in the data folder the first time) trained on the bundled ' +
      'demo data with the demo-cpu preset. Returns at once with the new run (queued or running).',
    z.strictObject({}),
    z.object({ summary: runSummarySchema }),
  ),
  /** Stop a run: STOP file (checkpoint saved), then SIGTERM, then SIGKILL; nothing is left running. */
  'runs.stop': call(
    'Stop a run. A queued run leaves the queue; a running one is asked to save and stop, then ended for sure. ' +
      'Resolves when no process of the run remains; stage says what ended it.',
    z.strictObject({ runId }),
    z.object({ stage: z.enum(['dequeued', 'already-gone', 'cooperative', 'sigterm', 'sigkill', 'taskkill']) }),
  ),
  /** What a resume with these changes would do: refused changes (with reasons) and applied ones. */
  'runs.planResume': call(
    'Check a resume before starting it: which changed settings are refused (method, model, adapter shape) and why, and which apply.',
    z.strictObject({ runId, overrides: z.record(z.string(), z.unknown()).default({}) }),
    resumePlanSchema,
  ),
  /** Resume from a complete checkpoint as a new run linked to its parent; the step count continues. */
  'runs.resume': call(
    'Resume from a complete checkpoint (default: the last) as a new run linked to its parent. Refused changes fail with the reasons.',
    z.strictObject({
      runId,
      step: z.number().int().min(0).optional(),
      overrides: z.record(z.string(), z.unknown()).default({}),
      gpus: gpus.optional(),
    }),
    z.object({ summary: runSummarySchema, plan: resumePlanSchema }),
  ),
  /** Delete a whole run folder (to the system trash where there is one). */
  'runs.delete': call(
    'Delete a run folder: to the system trash where there is one; permanently only with permanent: true. A live run is refused.',
    z.strictObject({ runId, permanent: z.boolean().default(false) }),
    z.object({ how: z.enum(['trash', 'deleted']), path: z.string() }),
  ),
  /** Compare runs: metric series aligned by step, and the settings that differ. */
  'runs.compare': call(
    'Compare runs: for each metric, one value per run at every step any of them logged (null where a run has none), and the run.json keys whose values differ.',
    z.strictObject({ runIds: z.array(runId).min(1).max(8), metrics: z.array(z.string().max(100)).max(20).optional() }),
    z.object({
      steps: z.array(z.number()),
      series: z.record(z.string(), z.record(z.string(), z.array(z.number().nullable()))),
      configDiff: z.array(z.object({ key: z.string(), values: z.record(z.string(), z.unknown()) })),
    }),
  ),
  /** Two training steps on the longest samples: measured peak memory beside the estimate, and what to change if it does not fit. */
  'runs.preflight': call(
    'Train two steps on the longest samples to measure the real peak memory (queued like a run, removed afterwards); ' +
      'beside the estimate, and with the ladder of changes (checkpointing, smaller micro-batch, ZeRO offload, lighter method) when it does not fit.',
    z.strictObject({
      config: runConfigRequestSchema,
      gpus: gpus.optional(),
      estimateGb: z.number().positive().optional(),
      budgetGb: z.number().positive().optional(),
    }),
    preflightResultSchema,
  ),
};

export const runsTopics = {
  /** Live summary of a run plus the events since the previous update; at most ~10 per second per run. */
  'runs.update': topic(
    'Live update of one run: its summary and the events since the previous update (batched to about 10 per second per run).',
    z.object({ runId: z.string(), summary: runSummarySchema, events: z.array(trainerEventSchema) }),
  ),
};
