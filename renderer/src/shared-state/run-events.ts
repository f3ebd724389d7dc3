// The one pure reducer for trainer events (schema v1, electron/shared/events.ts). Every screen
// that shows a run — the live dashboard, a finished run opened from the list, a re-attached run
// after a page reload — folds the same events through this function, so they cannot disagree.
// Unit-tested against tests/fixtures/golden-events/*.jsonl.
import type { z } from 'zod';
import type { runStatusSchema } from '../../../electron/shared/contract/runs';
import type {
  CheckpointSavedEvent,
  ClassifiedError,
  EvalEvent,
  LogEvent,
  MetricsEvent,
  TrainerEvent,
} from '../../../electron/shared/events';

/** queued/running come from the run manager; completed/cancelled/failed from run_finished;
 * crashed only from the run manager (a process that ended without run_finished). */
export type RunStatus = 'idle' | z.infer<typeof runStatusSchema>;

// The state keeps the fields of each event it folds, named as the event schema names them.
export type MetricPoint = Pick<MetricsEvent, 'step' | 'epoch' | 'ts' | 'values'>;

export type EvalPoint = Pick<EvalEvent, 'step' | 'ts' | 'values'>;

export type LogLine = Pick<LogEvent, 'ts' | 'level' | 'message'>;

export type CheckpointRef = Pick<CheckpointSavedEvent, 'step' | 'path' | 'ts'>;

export interface RunLiveState {
  runId: string | null;
  status: RunStatus;
  method: string | null;
  engine: string | null;
  model: string | null;
  totalSteps: number | null;
  trainableParams: number | null;
  totalParams: number | null;
  config: Record<string, unknown>;
  startedTs: number | null;
  finishedTs: number | null;
  /** Latest optimizer step seen (metrics, checkpoint or run_finished). */
  step: number;
  epoch: number;
  /** Every metrics event, in step order; never downsampled here (the charts do that for display). */
  metrics: MetricPoint[];
  evals: EvalPoint[];
  checkpoints: CheckpointRef[];
  /** The most recent log lines only: the full log stays in train.log. */
  logs: LogLine[];
  error: ClassifiedError | null;
  /** Lines that did not make sense in order (e.g. a metrics step going backwards), for diagnosis. */
  anomalies: string[];
}

export const LOG_TAIL_LINES = 200;

export function emptyRunState(runId: string | null = null): RunLiveState {
  return {
    runId,
    status: 'idle',
    method: null,
    engine: null,
    model: null,
    totalSteps: null,
    trainableParams: null,
    totalParams: null,
    config: {},
    startedTs: null,
    finishedTs: null,
    step: 0,
    epoch: 0,
    metrics: [],
    evals: [],
    checkpoints: [],
    logs: [],
    error: null,
    anomalies: [],
  };
}

/** Folds a batch of events into a new state. Arrays are copied once per batch (not per event),
 * so replaying 100k events on re-attach is linear. The input state is never mutated. */
export function applyEvents(state: RunLiveState, events: readonly TrainerEvent[]): RunLiveState {
  if (events.length === 0) return state;
  const next: RunLiveState = { ...state };
  let metrics: MetricPoint[] | null = null;
  let evals: EvalPoint[] | null = null;
  let checkpoints: CheckpointRef[] | null = null;
  let logs: LogLine[] | null = null;
  let anomalies: string[] | null = null;

  for (const event of events) {
    switch (event.type) {
      case 'run_started':
        next.runId = event.run_id;
        next.method = event.method;
        next.engine = event.engine;
        next.model = event.model;
        next.totalSteps = event.total_steps;
        next.trainableParams = event.trainable_params;
        next.totalParams = event.total_params;
        next.config = event.config;
        next.startedTs = event.ts;
        // A resumed run starts at its checkpoint's step: the progress bar must not say 0 until its first metrics.
        if (typeof event.start_step === 'number') next.step = Math.max(next.step, event.start_step);
        if (next.status === 'idle' || next.status === 'queued') next.status = 'running';
        break;
      case 'metrics': {
        metrics ??= [...state.metrics];
        const last = metrics[metrics.length - 1];
        const point: MetricPoint = { step: event.step, epoch: event.epoch, ts: event.ts, values: event.values };
        if (last && event.step <= last.step) {
          // A resumed run or a re-delivered line: keep the series monotonic in step by replacing
          // the tail from that step on, so a continued curve never zig-zags back.
          anomalies ??= [...state.anomalies];
          anomalies.push(`metrics step ${event.step} after step ${last.step}: replaced the later points`);
          const keep = metrics.findIndex((p) => p.step >= event.step);
          metrics.length = keep;
        }
        metrics.push(point);
        next.step = event.step;
        next.epoch = event.epoch;
        if (next.status === 'idle' || next.status === 'queued') next.status = 'running';
        break;
      }
      case 'eval':
        evals ??= [...state.evals];
        evals.push({ step: event.step, ts: event.ts, values: event.values });
        break;
      case 'checkpoint_saved':
        checkpoints ??= [...state.checkpoints];
        if (!checkpoints.some((c) => c.path === event.path)) {
          checkpoints.push({ step: event.step, path: event.path, ts: event.ts });
        }
        next.step = Math.max(next.step, event.step);
        break;
      case 'log':
        logs ??= [...state.logs];
        logs.push({ ts: event.ts, level: event.level, message: event.message });
        break;
      case 'run_finished':
        next.status = event.status;
        next.finishedTs = event.ts;
        next.error = event.error ?? null;
        if (typeof event.step === 'number') next.step = Math.max(next.step, event.step);
        break;
      default:
        // export_* and predict_* belong to the export and try screens, not to a training run.
        break;
    }
  }
  if (metrics) next.metrics = metrics;
  if (evals) next.evals = evals;
  if (checkpoints) next.checkpoints = checkpoints;
  if (logs) next.logs = logs.length > LOG_TAIL_LINES ? logs.slice(-LOG_TAIL_LINES) : logs;
  if (anomalies) next.anomalies = anomalies;
  return next;
}

/** One event; same semantics as a batch of one. */
export function applyEvent(state: RunLiveState, event: TrainerEvent): RunLiveState {
  return applyEvents(state, [event]);
}
