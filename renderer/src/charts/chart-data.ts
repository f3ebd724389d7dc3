// Pure helpers behind MetricChart: which points of each line to draw for the current zoom, merged
// into the one row-per-x table recharts wants, and the zoom arithmetic. Unit-tested.
import { lttbIndices, visibleRange } from './downsample';

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

export type ChartRow = { x: number } & Record<string, number | undefined>;

/** Rows to draw: each line cut to the visible domain and downsampled to maxPoints (LTTB), then
 * merged by x. The raw arrays are only read. */
export function chartRows(lines: readonly ChartLine[], domain: Domain | null, maxPoints: number): ChartRow[] {
  const byX = new Map<number, ChartRow>();
  for (const line of lines) {
    const [start, end] = domain ? visibleRange(line.xs, domain[0], domain[1]) : [0, line.xs.length];
    const xs = line.xs.slice(start, end);
    const ys = line.ys.slice(start, end);
    for (const i of lttbIndices(xs, ys, maxPoints)) {
      const x = xs[i]!;
      let row = byX.get(x);
      if (!row) byX.set(x, (row = { x } as ChartRow));
      row[line.id] = ys[i] as number;
    }
  }
  return [...byX.values()].sort((a, b) => a.x - b.x);
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
