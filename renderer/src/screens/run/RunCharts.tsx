// The dashboard's live charts: loss (raw + smoothed), learning rate, gradient norm, tokens/s,
// memory and, when the run manager reports it, GPU utilization. All charts share one zoom.
import { useMemo, useState } from 'react';
import { MetricChart, type ChartMarker } from '../../charts/MetricChart';
import type { ChartLine, Domain } from '../../charts/chart-data';
import type { EvalPoint, MetricPoint } from '../../shared-state/run-events';
import type { TelemetryPoint } from './runs-store';
import { autoSmoothing, metricSeries, runningMax, smoothEma } from '../../shared-state/run-selectors';

export interface RunChartsProps {
  metrics: readonly MetricPoint[];
  evals?: readonly EvalPoint[];
  checkpointSteps?: readonly number[];
  /** "GPU memory" or "CPU memory (RSS)" — the trainer measures whichever device it runs on. */
  memoryLabel?: string;
  /** EMA weight for the smoothed loss; by default chosen from the number of points. */
  smoothing?: number;
  /** GPU readings from the run manager (nvidia-smi): utilization and memory used per GPU. */
  telemetry?: readonly TelemetryPoint[];
  /** A resumed run: the parent run's metrics up to the checkpoint it resumed from, drawn before this run's own curve. */
  parent?: { runId: string; step: number; metrics: readonly MetricPoint[] } | null;
}

export const RESUME_MARKER = 'resumed here';
export const CHECKPOINT_MARKER = 'checkpoint saved';

export function RunCharts({ metrics, evals = [], checkpointSteps = [], memoryLabel = 'Memory', smoothing, telemetry = [], parent = null }: RunChartsProps) {
  const [domain, setDomain] = useState<Domain | null>(null);
  const charts = useMemo(
    () => [...buildCharts(metrics, evals, smoothing, memoryLabel, parent), ...telemetryCharts(telemetry)],
    [metrics, evals, smoothing, memoryLabel, telemetry, parent],
  );
  const resumeMarker: ChartMarker[] = useMemo(() => (parent ? [{ x: parent.step, label: RESUME_MARKER, solid: true }] : []), [parent]);
  const lossMarkers = useMemo(() => [...resumeMarker, ...checkpointSteps.map((x) => ({ x, label: CHECKPOINT_MARKER }))], [checkpointSteps, resumeMarker]);
  return (
    <div className="grid charts">
      {charts.map((c) => (
        <MetricChart
          key={c.title}
          title={c.title}
          unit={c.unit}
          yLabel={c.yLabel}
          yFromZero={c.yFromZero}
          lines={c.lines}
          domain={domain}
          onDomainChange={setDomain}
          markers={c.title === 'Loss' ? lossMarkers : resumeMarker}
        />
      ))}
    </div>
  );
}

interface ChartSpec {
  title: string;
  unit?: string;
  /** The y axis title, unit included. */
  yLabel: string;
  yFromZero?: boolean;
  lines: ChartLine[];
}

function buildCharts(
  metrics: readonly MetricPoint[],
  evals: readonly EvalPoint[],
  smoothing: number | undefined,
  memoryLabel: string,
  parent: RunChartsProps['parent'],
): ChartSpec[] {
  // The parent's points up to the resume step only: what it did after that checkpoint is not this run's story.
  const before = parent ? parent.metrics.filter((p) => p.step <= parent.step) : [];
  const beforeLine = (key: string): ChartLine[] => {
    if (!parent) return [];
    const series = metricSeries(before, key);
    return series.xs.length ? [{ id: `${key}_parent`, label: 'before resume', ...series, color: 'var(--muted)' }] : [];
  };
  const loss = metricSeries(metrics, 'loss');
  const weight = smoothing ?? autoSmoothing(loss.xs.length);
  const evalLoss = metricSeries(evals.map((e) => ({ ...e, epoch: 0 })), 'eval_loss');
  const lossLines: ChartLine[] = [
    { id: 'loss_raw', label: 'raw', xs: loss.xs, ys: loss.ys, color: 'var(--chart-raw)', faint: true },
    { id: 'loss_smooth', label: weight > 0 ? 'loss (smoothed)' : 'loss', xs: loss.xs, ys: smoothEma(loss.ys, weight), color: 'var(--chart-1)' },
  ];
  if (evalLoss.xs.length) lossLines.push({ id: 'eval_loss', label: 'eval loss', ...evalLoss, color: 'var(--chart-2)' });
  const one = (key: string, label: string, color: string): ChartLine => ({ id: key, label, ...metricSeries(metrics, key), color });
  // The trainer's peak is per process (a resume starts a new one) and a reading can dip: the chart
  // shows the peak so far, which never goes down, continuing the parent's.
  const peakSeries = metricSeries(metrics, 'mem_peak_gb');
  const parentPeak = metricSeries(before, 'mem_peak_gb').ys.reduce<number | null>((m, y) => (typeof y === 'number' && (m === null || y > m) ? y : m), null);
  const peak: ChartLine = { id: 'mem_peak_gb', label: 'peak so far', xs: peakSeries.xs, ys: runningMax(peakSeries.ys, parentPeak), color: 'var(--chart-2)' };
  const charts: ChartSpec[] = [
    { title: 'Loss', yLabel: 'loss (cross-entropy)', lines: [...beforeLine('loss'), ...lossLines] },
    { title: 'Learning rate', yLabel: 'learning rate', yFromZero: true, lines: [...beforeLine('lr'), one('lr', 'lr', 'var(--chart-4)')] },
    { title: 'Gradient norm', yLabel: 'grad norm (L2, unclipped)', yFromZero: true, lines: [...beforeLine('grad_norm'), one('grad_norm', 'grad norm', 'var(--chart-5)')] },
    { title: 'Tokens per second', unit: 'tokens/s', yLabel: 'tokens per second', yFromZero: true, lines: [...beforeLine('tokens_per_s'), one('tokens_per_s', 'now', 'var(--chart-3)')] },
    {
      title: memoryLabel,
      unit: 'GiB',
      yLabel: 'memory (GiB)',
      yFromZero: true,
      lines: [...beforeLine('mem_gb'), one('mem_gb', 'now', 'var(--chart-1)'), peak],
    },
  ];
  return charts;
}

const GPU_COLORS = ['var(--chart-3)', 'var(--chart-2)', 'var(--chart-4)', 'var(--chart-5)', 'var(--chart-1)'];

/** Utilization and memory per GPU, one line per GPU, from the run manager's nvidia-smi readings. */
export function telemetryCharts(points: readonly TelemetryPoint[]): ChartSpec[] {
  if (points.length === 0) return [];
  const gpus = [...new Set(points.map((p) => p.gpu))].sort((a, b) => a - b);
  const linesOf = (pick: (p: TelemetryPoint) => number | null, key: string): ChartLine[] =>
    gpus.map((gpu, i) => {
      const mine = points.filter((p) => p.gpu === gpu);
      return { id: `${key}-${gpu}`, label: `GPU ${gpu}`, xs: mine.map((p) => p.step), ys: mine.map(pick), color: GPU_COLORS[i % GPU_COLORS.length]! };
    });
  return [
    { title: 'GPU utilization', unit: '%', yLabel: 'utilization (%)', yFromZero: true, lines: linesOf((p) => p.utilizationPct, 'util') },
    { title: 'GPU memory used (nvidia-smi)', unit: 'GiB', yLabel: 'memory used (GiB)', yFromZero: true, lines: linesOf((p) => p.memUsedGb, 'mem') },
  ];
}
