// The dashboard's live charts: loss (raw + smoothed), learning rate, gradient norm, tokens/s,
// memory and, when the run manager reports it, GPU utilization. All charts share one zoom.
import { useMemo, useState } from 'react';
import { MetricChart } from '../../charts/MetricChart';
import type { ChartLine, Domain } from '../../charts/chart-data';
import type { EvalPoint, MetricPoint } from '../../stores/run-events';
import type { TelemetryPoint } from '../../stores/runs-store';
import { autoSmoothing, metricSeries, smoothEma } from '../../stores/run-selectors';

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
}

export function RunCharts({ metrics, evals = [], checkpointSteps = [], memoryLabel = 'Memory', smoothing, telemetry = [] }: RunChartsProps) {
  const [domain, setDomain] = useState<Domain | null>(null);
  const charts = useMemo(() => [...buildCharts(metrics, evals, smoothing, memoryLabel), ...telemetryCharts(telemetry)], [metrics, evals, smoothing, memoryLabel, telemetry]);
  const markers = useMemo(() => checkpointSteps.map((x) => ({ x, label: 'checkpoint' })), [checkpointSteps]);
  return (
    <div className="grid charts">
      {charts.map((c) => (
        <MetricChart
          key={c.title}
          title={c.title}
          unit={c.unit}
          lines={c.lines}
          domain={domain}
          onDomainChange={setDomain}
          markers={c.title === 'Loss' ? markers : undefined}
        />
      ))}
    </div>
  );
}

interface ChartSpec {
  title: string;
  unit?: string;
  lines: ChartLine[];
}

function buildCharts(metrics: readonly MetricPoint[], evals: readonly EvalPoint[], smoothing: number | undefined, memoryLabel: string): ChartSpec[] {
  const loss = metricSeries(metrics, 'loss');
  const weight = smoothing ?? autoSmoothing(loss.xs.length);
  const evalLoss = metricSeries(evals.map((e) => ({ ...e, epoch: 0 })), 'eval_loss');
  const lossLines: ChartLine[] = [
    { id: 'loss_raw', label: 'raw', xs: loss.xs, ys: loss.ys, color: 'var(--chart-raw)', faint: true },
    { id: 'loss_smooth', label: weight > 0 ? 'loss (smoothed)' : 'loss', xs: loss.xs, ys: smoothEma(loss.ys, weight), color: 'var(--chart-1)' },
  ];
  if (evalLoss.xs.length) lossLines.push({ id: 'eval_loss', label: 'eval loss', ...evalLoss, color: 'var(--chart-2)' });
  const one = (key: string, label: string, color: string): ChartLine => ({ id: key, label, ...metricSeries(metrics, key), color });
  const charts: ChartSpec[] = [
    { title: 'Loss', lines: lossLines },
    { title: 'Learning rate', lines: [one('lr', 'lr', 'var(--chart-4)')] },
    { title: 'Gradient norm', lines: [one('grad_norm', 'grad norm', 'var(--chart-5)')] },
    { title: 'Tokens per second', lines: [one('tokens_per_s', 'tokens/s', 'var(--chart-3)')] },
    {
      title: memoryLabel,
      unit: 'GB',
      lines: [one('mem_gb', 'now', 'var(--chart-1)'), one('mem_peak_gb', 'peak', 'var(--chart-2)')],
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
    { title: 'GPU utilization', unit: '%', lines: linesOf((p) => p.utilizationPct, 'util') },
    { title: 'GPU memory used (nvidia-smi)', unit: 'GB', lines: linesOf((p) => p.memUsedGb, 'mem') },
  ];
}
