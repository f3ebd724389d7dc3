// Selectors of a run: series extraction, smoothing, progress/ETA, durations.
import { describe, expect, it } from 'vitest';
import { emptyRunState, type MetricPoint, type RunLiveState } from '../../renderer/src/shared-state/run-events';
import {
  autoSmoothing,
  bestLoss,
  formatDuration,
  latestValue,
  metricSeries,
  selectProgress,
  smoothEma,
} from '../../renderer/src/shared-state/run-selectors';

const point = (step: number, ts: number, values: MetricPoint['values']): MetricPoint => ({ step, epoch: 0, ts, values });

describe('metricSeries', () => {
  it('extracts one metric, leaving out points without it and keeping nulls', () => {
    const pts = [point(1, 0, { loss: 2 }), point(2, 1, { lr: 1 }), point(3, 2, { loss: null })];
    expect(metricSeries(pts, 'loss')).toEqual({ xs: [1, 3], ys: [2, null] });
  });
});

describe('smoothEma', () => {
  it('weight 0 is the identity', () => {
    expect(smoothEma([1, 5, 3], 0)).toEqual([1, 5, 3]);
  });
  it('is bias-corrected: the first smoothed value equals the first raw value', () => {
    const out = smoothEma([4, 4, 4, 4], 0.9);
    out.forEach((v) => expect(v).toBeCloseTo(4, 10));
  });
  it('matches the hand-computed debiased EMA', () => {
    // w = 0.5: m1 = 0.5*2 = 1 -> /0.5 = 2; m2 = 0.5*1 + 0.5*4 = 2.5 -> /0.75 = 3.333...
    const out = smoothEma([2, 4], 0.5);
    expect(out[0]).toBeCloseTo(2);
    expect(out[1]).toBeCloseTo(10 / 3);
  });
  it('keeps nulls as gaps and reduces noise', () => {
    const noisy = Array.from({ length: 200 }, (_, i) => (i % 2 ? 1 : 3));
    const out = smoothEma([...noisy, null], 0.9);
    expect(out.at(-1)).toBeNull();
    expect(Math.abs((out[199] as number) - 2)).toBeLessThan(0.2);
  });
});

describe('selectProgress', () => {
  const running = (metrics: MetricPoint[], totalSteps: number | null): RunLiveState => ({
    ...emptyRunState('r'),
    status: 'running',
    totalSteps,
    metrics,
    step: metrics.at(-1)?.step ?? 0,
  });

  it('ETA from the recent pace: 2 steps/s, 80 steps left -> 40 s', () => {
    const metrics = Array.from({ length: 21 }, (_, i) => point(i * 2 + 1, 100 + i, { loss: 1 }));
    const p = selectProgress(running(metrics, 121));
    expect(p.stepsPerSecond).toBeCloseTo(2);
    expect(p.etaSeconds).toBeCloseTo(40);
    expect(p.fraction).toBeCloseTo(41 / 121);
  });

  it('ignores a slow first step outside the window', () => {
    const metrics = [point(1, 0, {}), ...Array.from({ length: 30 }, (_, i) => point(i + 2, 1000 + i, {}))];
    expect(selectProgress(running(metrics, 100), 20).stepsPerSecond).toBeCloseTo(1);
  });

  it('no ETA before two points, without a total, or once finished', () => {
    expect(selectProgress(running([point(1, 0, {})], 10)).etaSeconds).toBeNull();
    expect(selectProgress(running([point(1, 0, {}), point(2, 1, {})], null)).etaSeconds).toBeNull();
    const done = { ...running([point(1, 0, {}), point(2, 1, {})], 10), status: 'completed' as const };
    expect(selectProgress(done).etaSeconds).toBeNull();
  });
});

describe('small selectors', () => {
  it('bestLoss skips nulls', () => {
    expect(bestLoss([point(1, 0, { loss: 3 }), point(2, 0, { loss: null }), point(3, 0, { loss: 2.5 })])).toBe(2.5);
    expect(bestLoss([])).toBeNull();
  });
  it('latestValue finds the last finite value', () => {
    expect(latestValue([point(1, 0, { mem_gb: 1.5 }), point(2, 0, { mem_gb: null })], 'mem_gb')).toBe(1.5);
  });
  it('formatDuration reads plainly', () => {
    expect(formatDuration(12.4)).toBe('12 s');
    expect(formatDuration(200)).toBe('3 min 20 s');
    expect(formatDuration(3900)).toBe('1 h 05 min');
    expect(formatDuration(null)).toBe('—');
  });
});

describe('autoSmoothing', () => {
  it('does not smooth a handful of points and smooths long series strongly', () => {
    expect(autoSmoothing(5)).toBe(0);
    expect(autoSmoothing(200)).toBeCloseTo(0.9);
    expect(autoSmoothing(100_000)).toBe(0.995);
  });
});
