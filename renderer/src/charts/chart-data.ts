// Pure helpers behind MetricChart: which points of each line to draw for the current zoom, the y
// range, hover lookup and the zoom arithmetic. Unit-tested.
import { lttbRange, toFloat64, visibleRange } from './downsample';

export interface ChartLine {
  id: string;
  label: string;
  xs: readonly number[];
  ys: readonly (number | null)[];
  color: string;
  /** Thin and faint (raw values under a smoothed curve). */
  faint?: boolean;
}

export type Domain = readonly [number, number];

/** Full x extent of all lines, or null when there is nothing to draw. */
export function fullDomain(lines: readonly ChartLine[]): Domain | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (const l of lines) {
    if (l.xs.length === 0) continue;
    lo = Math.min(lo, l.xs[0]!);
    hi = Math.max(hi, l.xs[l.xs.length - 1]!);
  }
  if (!Number.isFinite(lo)) return null;
  return lo === hi ? [lo - 1, hi + 1] : [lo, hi];
}

// Typed copies of each line's arrays, made once per array (the dashboard makes new arrays only
// when new events arrive; zooming reuses them).
const typedCache = new WeakMap<readonly (number | null)[], Float64Array>();
function typed(values: readonly (number | null)[]): Float64Array {
  let t = typedCache.get(values);
  if (!t) typedCache.set(values, (t = toFloat64(values)));
  return t;
}

/** One line's points to draw, already cut to the zoom and downsampled. */
export interface VisibleSeries {
  id: string;
  xs: number[];
  ys: number[];
}

export interface VisibleData {
  series: VisibleSeries[];
  /** y extent of what is drawn (padded by the caller), or null when nothing is visible. */
  yExtent: [number, number] | null;
}

/** What to draw: each line cut to the visible domain (plus one point each side) and downsampled
 * to maxPoints with LTTB. The raw arrays are only read. */
export function visibleData(lines: readonly ChartLine[], domain: Domain | null, maxPoints: number): VisibleData {
  let lo = Infinity;
  let hi = -Infinity;
  const series = lines.map((line) => {
    const xs = typed(line.xs);
    const ys = typed(line.ys);
    const [start, end] = domain ? visibleRange(xs, domain[0], domain[1]) : [0, xs.length];
    const idx = lttbRange(xs, ys, start, end, maxPoints);
    const out: VisibleSeries = { id: line.id, xs: new Array<number>(idx.length), ys: new Array<number>(idx.length) };
    for (let k = 0; k < idx.length; k++) {
      const i = idx[k]!;
      const y = ys[i]!;
      out.xs[k] = xs[i]!;
      out.ys[k] = y;
      if (y < lo) lo = y;
      if (y > hi) hi = y;
    }
    return out;
  });
  return { series, yExtent: Number.isFinite(lo) ? [lo, hi] : null };
}

/** A y axis with round tick values covering [lo, hi]: about `count` ticks at 1, 2 or 5 × 10^k. */
export function niceTicks([lo, hi]: [number, number], count = 5): { domain: [number, number]; ticks: number[] } {
  if (lo === hi) {
    const pad = Math.max(Math.abs(lo) * 0.1, 1e-9);
    [lo, hi] = [lo - pad, hi + pad];
  }
  const raw = (hi - lo) / Math.max(count - 1, 1);
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = ([1, 2, 2.5, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
  const start = Math.floor(lo / step) * step;
  const end = Math.ceil(hi / step) * step;
  const ticks: number[] = [];
  // Rounded to the step's precision, so 0.1 + 0.2 shows as 0.3.
  const digits = Math.max(0, -Math.floor(Math.log10(step)) + 2);
  for (let v = start; v <= end + step / 2; v += step) ticks.push(Number(v.toFixed(digits)));
  return { domain: [ticks[0]!, ticks[ticks.length - 1]!], ticks };
}

/** Index of the point of `xs` nearest to x (xs ascending, non-empty). */
export function nearestIndex(xs: readonly number[], x: number): number {
  let lo = 0;
  let hi = xs.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  if (lo > 0 && Math.abs(xs[lo - 1]! - x) <= Math.abs(xs[lo]! - x)) return lo - 1;
  return lo;
}

/** Zooms around `anchor` (an x value): factor < 1 zooms in. Clamped to the full extent; zooming
 * out to (or beyond) the full extent returns null, meaning "not zoomed". */
export function zoomDomain(current: Domain, full: Domain, anchor: number, factor: number): Domain | null {
  const [a, b] = current;
  const minWidth = Math.max((full[1] - full[0]) / 100_000, 1e-9);
  const width = Math.max((b - a) * factor, minWidth);
  if (width >= full[1] - full[0]) return null;
  const t = b > a ? (anchor - a) / (b - a) : 0.5;
  let lo = anchor - t * width;
  let hi = lo + width;
  if (lo < full[0]) [lo, hi] = [full[0], full[0] + width];
  if (hi > full[1]) [lo, hi] = [full[1] - width, full[1]];
  return [lo, hi];
}

/** Moves the view by `fraction` of its width, staying inside the full extent. */
export function panDomain(current: Domain, full: Domain, fraction: number): Domain {
  const width = current[1] - current[0];
  let lo = current[0] + width * fraction;
  lo = Math.min(Math.max(lo, full[0]), full[1] - width);
  return [lo, lo + width];
}

/** Tick labels that tell neighbouring ticks apart: as many digits as the tick step needs. */
export function formatTick(v: number, step: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e4) return formatValue(v);
  if (a < 1e-2) {
    const extra = Math.max(0, Math.floor(Math.log10(a)) - Math.floor(Math.log10(step)));
    return v.toExponential(Math.min(extra, 6));
  }
  return v.toFixed(Math.min(Math.max(0, -Math.floor(Math.log10(step))), 8));
}

/** Compact number for axes and hover: 0.000123 -> 1.23e-4, 12345 -> 12.3k. */
export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a >= 1e6) return `${(v / 1e6).toPrecision(3)}M`;
  if (a >= 1e4) return `${(v / 1e3).toPrecision(3)}k`;
  if (a < 1e-2) return v.toExponential(2);
  return String(Number(v.toPrecision(4)));
}
