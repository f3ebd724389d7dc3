// The live summary of one run, folded from its events by a pure reducer: status, last metrics,
// best loss, speed (steps/s measured over recent steps) and the ETA that follows from it.
import type { ClassifiedError, TrainerEvent } from '../../shared/events';

export type RunStatus = 'queued' | 'running' | 'completed' | 'cancelled' | 'failed' | 'crashed';
export const FINAL_STATUSES: readonly RunStatus[] = ['completed', 'cancelled', 'failed', 'crashed'];
export const isFinal = (status: RunStatus) => FINAL_STATUSES.includes(status);

export interface GpuTelemetry {
  index: number;
  memUsedMb: number | null;
  memTotalMb: number | null;
  utilizationPct: number | null;
  temperatureC: number | null;
  powerW: number | null;
}

export interface RunSummary {
  runId: string;
  status: RunStatus;
  method: string | null;
  engine: string | null;
  model: string | null;
  totalSteps: number | null;
  step: number;
  epoch: number | null;
  /** The values of the last metrics event (loss, lr, tokens_per_s, mem_gb, ...). */
  lastMetrics: Record<string, number | null>;
  lastEval: Record<string, number | null>;
  lastLoss: number | null;
  bestLoss: number | null;
  stepsPerSecond: number | null;
  etaSeconds: number | null;
  startedAt: number | null;
  updatedAt: number | null;
  finishedAt: number | null;
  lastCheckpoint: { step: number; path: string } | null;
  error: ClassifiedError | null;
  /** Tail of train.log, filled when the run crashed or failed. */
  logTail: string[];
  /** Malformed events.jsonl lines seen (reported, never fatal). */
  malformedLines: number;
  lastWarning: string | null;
  telemetry: GpuTelemetry[];
  /** Recent (step, ts) pairs the speed is measured from; kept small. */
  recentSteps: { step: number; ts: number }[];
}

/** Steps over which speed is measured: long enough to smooth noise, short enough to follow changes. */
export const SPEED_WINDOW = 20;

export function emptySummary(runId: string, status: RunStatus = 'queued'): RunSummary {
  return {
    runId,
    status,
    method: null,
    engine: null,
    model: null,
    totalSteps: null,
    step: 0,
    epoch: null,
    lastMetrics: {},
    lastEval: {},
    lastLoss: null,
    bestLoss: null,
    stepsPerSecond: null,
    etaSeconds: null,
    startedAt: null,
    updatedAt: null,
    finishedAt: null,
    lastCheckpoint: null,
    error: null,
    logTail: [],
    malformedLines: 0,
    lastWarning: null,
    telemetry: [],
    recentSteps: [],
  };
}

function speed(recent: { step: number; ts: number }[]): number | null {
  if (recent.length < 2) return null;
  const first = recent[0]!;
  const last = recent[recent.length - 1]!;
  const dt = last.ts - first.ts;
  const ds = last.step - first.step;
  return dt > 0 && ds > 0 ? ds / dt : null;
}

/** Folds one event into the summary (returns a new object; the input is not changed). */
export function applyEvent(summary: RunSummary, event: TrainerEvent): RunSummary {
  const s: RunSummary = { ...summary, updatedAt: event.ts };
  switch (event.type) {
    case 'run_started':
      s.status = isFinal(s.status) ? s.status : 'running';
      s.method = event.method;
      s.engine = event.engine;
      s.model = event.model;
      s.totalSteps = event.total_steps;
      s.startedAt = s.startedAt ?? event.ts;
      // A resumed run starts at its checkpoint's step, not at 0 (before its first metrics line).
      if (typeof event.start_step === 'number') s.step = Math.max(s.step, event.start_step);
      break;
    case 'metrics': {
      s.step = event.step;
      s.epoch = event.epoch;
      s.lastMetrics = event.values;
      const loss = event.values.loss;
      if (typeof loss === 'number') {
        s.lastLoss = loss;
        s.bestLoss = s.bestLoss === null ? loss : Math.min(s.bestLoss, loss);
      }
      // A resumed run restarts the window; steps never go backwards within one process.
      const prev = s.recentSteps[s.recentSteps.length - 1];
      const base = prev && prev.step < event.step ? s.recentSteps : [];
      s.recentSteps = [...base, { step: event.step, ts: event.ts }].slice(-SPEED_WINDOW);
      s.stepsPerSecond = speed(s.recentSteps);
      s.etaSeconds =
        s.stepsPerSecond && s.totalSteps !== null ? Math.max(0, s.totalSteps - event.step) / s.stepsPerSecond : null;
      break;
    }
    case 'eval':
      s.lastEval = event.values;
      break;
    case 'checkpoint_saved':
      s.lastCheckpoint = { step: event.step, path: event.path };
      // Metrics come every N steps; a checkpoint (e.g. the one Stop saves) can be later: the step
      // shown in the runs list must be the one the result card names.
      s.step = Math.max(s.step, event.step);
      break;
    case 'log':
      if (event.level !== 'info') s.lastWarning = event.message;
      break;
    case 'run_finished':
      s.status = event.status;
      s.finishedAt = event.ts;
      if (typeof event.step === 'number') s.step = Math.max(s.step, event.step);
      s.error = event.error ?? null;
      s.etaSeconds = event.status === 'completed' ? 0 : null;
      break;
    default:
      break; // export and predict events do not belong to a training run
  }
  return s;
}

export const applyEvents = (summary: RunSummary, events: TrainerEvent[]): RunSummary => events.reduce(applyEvent, summary);

/** The process ended without run_finished: the run crashed. */
export function markCrashed(summary: RunSummary, logTail: string[], at: number): RunSummary {
  if (isFinal(summary.status)) return summary;
  return {
    ...summary,
    status: 'crashed',
    finishedAt: at,
    etaSeconds: null,
    logTail,
    error: {
      kind: 'runtime',
      message: 'The trainer process ended without reporting how the run finished.',
      hint: 'Read the end of train.log below; the last complete checkpoint can be resumed.',
    },
  };
}
