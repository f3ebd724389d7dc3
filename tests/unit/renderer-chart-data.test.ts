// Chart plumbing: visible rows per zoom, merge by x, zoom/pan arithmetic.
import { describe, expect, it } from 'vitest';
import { chartRows, formatValue, fullDomain, panDomain, zoomDomain, type ChartLine } from '../../renderer/src/charts/chart-data';

const line = (id: string, n: number, f: (x: number) => number | null, start = 1): ChartLine => {
  const xs = Array.from({ length: n }, (_, i) => i + start);
  return { id, label: id, xs, ys: xs.map(f), color: 'red' };
};

describe('chartRows', () => {
  it('downsamples 100k points to at most maxPoints rows and keeps the raw arrays', () => {
    const l = line('loss', 100_000, (x) => 1 / x);
    const rows = chartRows([l], null, 500);
    expect(rows.length).toBe(500);
    expect(rows[0]).toEqual({ x: 1, loss: 1 });
    expect(rows.at(-1)!.x).toBe(100_000);
    expect(l.xs.length).toBe(100_000);
  });

  it('zoomed: only the visible range (plus one point each side), at full detail when small', () => {
    const rows = chartRows([line('loss', 100_000, (x) => x)], [5000, 5100], 500);
    expect(rows[0]!.x).toBe(4999);
    expect(rows.at(-1)!.x).toBe(5101);
    expect(rows).toHaveLength(103);
  });

  it('merges raw and smoothed lines on the same x, and different runs on the union of x', () => {
    const a = line('a', 3, (x) => x);
    const b = line('b', 3, (x) => -x, 2);
    expect(chartRows([a, b], null, 100)).toEqual([
      { x: 1, a: 1 },
      { x: 2, a: 2, b: -2 },
      { x: 3, a: 3, b: -3 },
      { x: 4, b: -4 },
    ]);
  });

  it('leaves out nulls rather than plotting them as zero', () => {
    expect(chartRows([line('g', 3, (x) => (x === 2 ? null : x))], null, 100)).toEqual([
      { x: 1, g: 1 },
      { x: 3, g: 3 },
    ]);
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
  it('formatValue is compact', () => {
    expect(formatValue(0.000123)).toBe('1.23e-4');
    expect(formatValue(12345)).toBe('12.3k');
    expect(formatValue(3.14159)).toBe('3.142');
    expect(formatValue(0)).toBe('0');
  });
});
