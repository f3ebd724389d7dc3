// Chart plumbing: visible rows per zoom, merge by x, zoom/pan arithmetic.
import { describe, expect, it } from 'vitest';
import {
  formatTick,
  formatValue,
  fullDomain,
  nearestIndex,
  niceTicks,
  panDomain,
  visibleData,
  zoomDomain,
  type ChartLine,
} from '../../renderer/src/charts/chart-data';

const line = (id: string, n: number, f: (x: number) => number | null, start = 1): ChartLine => {
  const xs = Array.from({ length: n }, (_, i) => i + start);
  return { id, label: id, xs, ys: xs.map(f), color: 'red' };
};

describe('visibleData', () => {
  it('downsamples 100k points to maxPoints per line and keeps the raw arrays', () => {
    const l = line('loss', 100_000, (x) => 1 / x);
    const { series, yExtent } = visibleData([l], null, 500);
    expect(series[0]!.xs).toHaveLength(500);
    expect(series[0]!.xs[0]).toBe(1);
    expect(series[0]!.ys[0]).toBe(1);
    expect(series[0]!.xs.at(-1)).toBe(100_000);
    expect(yExtent).toEqual([1 / 100_000, 1]);
    expect(l.xs.length).toBe(100_000);
  });

  it('zoomed: only the visible range (plus one point each side), at full detail when small', () => {
    const { series, yExtent } = visibleData([line('loss', 100_000, (x) => x)], [5000, 5100], 500);
    expect(series[0]!.xs[0]).toBe(4999);
    expect(series[0]!.xs.at(-1)).toBe(5101);
    expect(series[0]!.xs).toHaveLength(103);
    expect(yExtent).toEqual([4999, 5101]);
  });

  it('several lines keep their own x values; the y extent spans them all', () => {
    const { series, yExtent } = visibleData([line('a', 3, (x) => x), line('b', 3, (x) => -x, 2)], null, 100);
    expect(series.map((s) => s.xs)).toEqual([
      [1, 2, 3],
      [2, 3, 4],
    ]);
    expect(yExtent).toEqual([-4, 3]);
  });

  it('leaves out nulls rather than plotting them as zero; nothing visible gives no extent', () => {
    expect(visibleData([line('g', 3, (x) => (x === 2 ? null : x))], null, 100).series[0]).toEqual({ id: 'g', xs: [1, 3], ys: [1, 3] });
    expect(visibleData([line('g', 3, () => null)], null, 100).yExtent).toBeNull();
  });

  it('niceTicks covers the range with round steps', () => {
    expect(niceTicks([0.13, 4.87])).toEqual({ domain: [0, 6], ticks: [0, 2, 4, 6] });
    expect(niceTicks([0.13, 4.87], 6)).toEqual({ domain: [0, 5], ticks: [0, 1, 2, 3, 4, 5] });
    expect(niceTicks([0.0001, 0.00098]).ticks).toEqual([0, 0.00025, 0.0005, 0.00075, 0.001]);
    const flat = niceTicks([2, 2]);
    expect(flat.domain[0]).toBeLessThan(2);
    expect(flat.domain[1]).toBeGreaterThan(2);
  });

  it('nearestIndex', () => {
    expect(nearestIndex([1, 5, 10], 4)).toBe(1);
    expect(nearestIndex([1, 5, 10], 2.9)).toBe(0);
    expect(nearestIndex([1, 5, 10], 99)).toBe(2);
  });
});

describe('zoom and pan', () => {
  const full = [0, 100] as const;
  it('fullDomain spans all lines; null when empty', () => {
    expect(fullDomain([line('a', 10, (x) => x), line('b', 5, (x) => x, 50)])).toEqual([1, 54]);
    expect(fullDomain([])).toBeNull();
  });
  it('zooming in keeps the anchor at the same relative position', () => {
    const d = zoomDomain([0, 100], full, 25, 0.5)!;
    expect(d[1] - d[0]).toBeCloseTo(50);
    expect((25 - d[0]) / (d[1] - d[0])).toBeCloseTo(0.25);
  });
  it('clamps to the full extent, and zooming out past it resets', () => {
    expect(zoomDomain([0, 50], full, 0, 1.5)).toEqual([0, 75]);
    expect(zoomDomain([10, 90], full, 50, 1.5)).toBeNull();
  });
  it('pans inside the extent', () => {
    expect(panDomain([10, 30], full, -1)).toEqual([0, 20]);
    expect(panDomain([70, 90], full, 1)).toEqual([80, 100]);
  });
  it('formatTick shows enough digits to tell ticks apart', () => {
    expect([0.0018, 0.00181, 0.00182].map((v) => formatTick(v, 0.00001))).toEqual(['1.80e-3', '1.81e-3', '1.82e-3']);
    expect(formatTick(0.0015, 0.0005)).toBe('1.5e-3');
    expect(formatTick(2.5, 0.5)).toBe('2.5');
    expect(formatTick(6, 2)).toBe('6');
    expect(formatTick(0, 1)).toBe('0');
  });

  it('formatValue is compact', () => {
    expect(formatValue(0.000123)).toBe('1.23e-4');
    expect(formatValue(12345)).toBe('12.3k');
    expect(formatValue(3.14159)).toBe('3.142');
    expect(formatValue(0)).toBe('0');
  });
});
