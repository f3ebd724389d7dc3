// Display downsampling: shape kept, spikes kept, gaps kept, raw data untouched.
import { describe, expect, it } from 'vitest';
import { lowerBound, lttbIndices, minMaxIndices, visibleRange } from '../../renderer/src/charts/downsample';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('lttbIndices', () => {
  it('returns every valid point when under the threshold', () => {
    expect(lttbIndices([0, 1, 2], [5, 6, 7], 10)).toEqual([0, 1, 2]);
  });

  it('keeps first and last, returns exactly threshold ascending indices', () => {
    const xs = range(100_000);
    const ys = xs.map((x) => Math.sin(x / 1000));
    const idx = lttbIndices(xs, ys, 500);
    expect(idx).toHaveLength(500);
    expect(idx[0]).toBe(0);
    expect(idx.at(-1)).toBe(99_999);
    for (let i = 1; i < idx.length; i++) expect(idx[i]!).toBeGreaterThan(idx[i - 1]!);
  });

  it('keeps a single spike that an every-nth sampler would miss', () => {
    const xs = range(10_000);
    const ys = xs.map((x) => (x === 4321 ? 100 : 1));
    expect(lttbIndices(xs, ys, 200)).toContain(4321);
  });

  it('skips nulls and non-finite values instead of drawing them as zero', () => {
    const idx = lttbIndices([0, 1, 2, 3], [1, null, Number.NaN, 2], 10);
    expect(idx).toEqual([0, 3]);
  });

  it('handles tiny thresholds and empty input', () => {
    expect(lttbIndices([], [], 100)).toEqual([]);
    expect(lttbIndices(range(10), range(10), 2)).toEqual([0, 9]);
  });

  it('does not modify its inputs and is fast on 100k points', () => {
    const xs = range(100_000);
    const ys = xs.map((x) => Math.cos(x));
    const copy = ys.slice();
    const t0 = performance.now();
    lttbIndices(xs, ys, 1000);
    expect(performance.now() - t0).toBeLessThan(200);
    expect(ys).toEqual(copy);
  });
});

describe('minMaxIndices', () => {
  it('keeps min and max of each bucket in x order', () => {
    const xs = range(8);
    const ys = [3, 1, 4, 1, 5, 9, 2, 6];
    // two buckets of width 3.5: [0..3] -> min 1 (i=1), max 4 (i=2); [4..7] -> min 2 (i=6), max 9 (i=5)
    expect(minMaxIndices(xs, ys, 2)).toEqual([1, 2, 5, 6]);
  });

  it('never loses the global extremes', () => {
    const xs = range(50_000);
    const ys = xs.map((x) => Math.sin(x * 0.37) + (x === 31_337 ? 50 : 0) - (x === 777 ? 50 : 0));
    const idx = minMaxIndices(xs, ys, 300);
    expect(idx).toContain(31_337);
    expect(idx).toContain(777);
    expect(idx.length).toBeLessThanOrEqual(600);
  });

  it('skips nulls', () => {
    expect(minMaxIndices([0, 1, 2], [null, 2, null], 4)).toEqual([1]);
  });
});

describe('visible range for zoom', () => {
  const xs = [10, 20, 30, 40, 50];
  it('lowerBound finds the first x >= value', () => {
    expect(lowerBound(xs, 25)).toBe(2);
    expect(lowerBound(xs, 10)).toBe(0);
    expect(lowerBound(xs, 99)).toBe(5);
  });
  it('widens by one point on each side so lines reach the edges', () => {
    expect(visibleRange(xs, 25, 35)).toEqual([1, 4]);
    expect(visibleRange(xs, 20, 40)).toEqual([0, 5]);
    expect(visibleRange(xs, 0, 100)).toEqual([0, 5]);
  });
});
