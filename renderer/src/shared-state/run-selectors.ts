// Derived values of a run, computed from RunLiveState (state is data; these are selectors).
// All pure: the dashboard memoizes them on the state object they were computed from.
import type { MetricPoint, RunLiveState } from './run-events';

export interface Series {
  /** x values (optimizer step), ascending. */
  xs: number[];
  /** y values; null where the trainer reported a non-finite value or nothing. */
  ys: (number | null)[];
}

/** One metric as parallel arrays; points without the metric are left out (not drawn as zero). */
export function metricSeries(points: readonly MetricPoint[], key: string): Series {
  const xs: number[] = [];
  const ys: (number | null)[] = [];
  for (const p of points) {
    if (!(key in p.values)) continue;
    xs.push(p.step);
    ys.push(p.values[key] ?? null);
  }
  return { xs, ys };
}

/** Exponential moving average with bias correction (as TensorBoard draws it), so the first
 * points are not dragged towards zero. `weight` in [0, 1): 0 = no smoothing. Nulls stay null and
 * do not disturb the average. */
export function smoothEma(ys: readonly (number | null)[], weight: number): (number | null)[] {
  const w = Math.min(Math.max(weight, 0), 0.999);
  const out: (number | null)[] = new Array(ys.length);
  let last = 0;
  let debias = 1;
  let seen = 0;
  for (let i = 0; i < ys.length; i++) {
    const y = ys[i];
    if (typeof y !== 'number' || !Number.isFinite(y)) {
      out[i] = null;
      continue;
    }
    last = last * w + (1 - w) * y;
    seen++;
    debias = 1 - Math.pow(w, seen);
    out[i] = w === 0 ? y : last / debias;
  }
  return out;
}

/** Smoothing weight for a series of n points: none for a handful (the raw points ARE the
 * trend), about a 20th of the series as the averaging window for long ones. */
export function autoSmoothing(n: number): number {
  return Math.min(Math.max(1 - 20 / Math.max(n, 1), 0), 0.995);
}

export interface Progress {
  step: number;
  totalSteps: number | null;
  /** 0..1, null when the total is unknown. */
  fraction: number | null;
  /** Seconds left at the recent pace; null until two metrics points exist or when finished. */
  etaSeconds: number | null;
  /** Recent pace in steps per second. */
  stepsPerSecond: number | null;
}

/** Progress and ETA from the measured step times of the last `window` metrics points (recent
 * pace, so a slow first step — model load, compilation — does not distort the estimate). */
export function selectProgress(state: RunLiveState, window = 20): Progress {
  const { step, totalSteps, metrics } = state;
  const fraction = totalSteps && totalSteps > 0 ? Math.min(step / totalSteps, 1) : null;
  let stepsPerSecond: number | null = null;
  if (metrics.length >= 2) {
    const last = metrics[metrics.length - 1]!;
    const first = metrics[Math.max(metrics.length - 1 - window, 0)]!;
    const dt = last.ts - first.ts;
    const ds = last.step - first.step;
    if (dt > 0 && ds > 0) stepsPerSecond = ds / dt;
  }
  const live = state.status === 'running' || state.status === 'idle';
  const etaSeconds =
    live && stepsPerSecond && totalSteps !== null ? Math.max(totalSteps - step, 0) / stepsPerSecond : null;
  return { step, totalSteps, fraction, etaSeconds, stepsPerSecond };
}

/** The highest value so far at each point (nulls stay null): a "peak" line that never goes down,
 * starting from `start` (a resumed run continues its parent's peak). */
export function runningMax(ys: readonly (number | null)[], start: number | null = null): (number | null)[] {
  let max = start;
  return ys.map((y) => {
    if (typeof y !== 'number' || !Number.isFinite(y)) return null;
    max = max === null ? y : Math.max(max, y);
    return max;
  });
}

/** Lowest finite training loss so far, or null. */
export function bestLoss(points: readonly MetricPoint[]): number | null {
  let best: number | null = null;
  for (const p of points) {
    const v = p.values.loss;
    if (typeof v === 'number' && Number.isFinite(v) && (best === null || v < best)) best = v;
  }
  return best;
}

/** The lowest logged loss and its step. Each logged loss is the average over the steps since the
 * previous report (show_loss_step), so it is not the loss a checkpoint records (its last step's). */
export function bestLossPoint(points: readonly MetricPoint[]): { loss: number; step: number } | null {
  let best: { loss: number; step: number } | null = null;
  for (const p of points) {
    const v = p.values.loss;
    if (typeof v === 'number' && Number.isFinite(v) && (best === null || v < best.loss)) best = { loss: v, step: p.step };
  }
  return best;
}

/** What a run's status badge says: the same word as the banner ("stopped" for a cancelled run). */
export const STATUS_WORDS: Record<string, string> = { cancelled: 'stopped' };
export const statusWord = (status: string): string => STATUS_WORDS[status] ?? status;

/** Most recent finite value of a metric (e.g. mem_gb: GPU allocated, or CPU resident memory). */
export function latestValue(points: readonly MetricPoint[], key: string): number | null {
  for (let i = points.length - 1; i >= 0; i--) {
    const v = points[i]!.values[key];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  return null;
}

/** "1 h 05 min", "3 min 20 s", "12 s" — plain words for an ETA or a duration. */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '—';
  const s = Math.max(Math.round(seconds), 0);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  const h = Math.floor(m / 60);
  return `${h} h ${String(m % 60).padStart(2, '0')} min`;
}
