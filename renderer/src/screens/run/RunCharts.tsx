// The dashboard's live charts: loss (raw + smoothed), learning rate, gradient norm, tokens/s,
// memory and, when the run manager reports it, GPU utilization. All charts share one zoom.
import { useMemo, useState } from 'react';
import { MetricChart } from '../../charts/MetricChart';
import type { ChartLine, Domain } from '../../charts/chart-data';
import type { EvalPoint, MetricPoint } from '../../stores/run-events';
import { autoSmoothing, metricSeries, smoothEma } from '../../stores/run-selectors';

export interface RunChartsProps {
  metrics: readonly MetricPoint[];
  evals?: readonly EvalPoint[];
  checkpointSteps?: readonly number[];
  /** "GPU memory" or "CPU memory (RSS)" — the trainer measures whichever device it runs on. */
  memoryLabel?: string;
  /** EMA weight for the smoothed loss; by default chosen from the number of points. */
  smoothing?: number;
}

export function RunCharts({ metrics, evals = [], checkpointSteps = [], memoryLabel = 'Memory', smoothing }: RunChartsProps) {
  const [domain, setDomain] = useState<Domain | null>(null);
  const charts = useMemo(() => buildCharts(metrics, evals, smoothing, memoryLabel), [metrics, evals, smoothing, memoryLabel]);
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
  const util = metricSeries(metrics, 'gpu_util');
  if (util.xs.length) {
    charts.push({ title: 'GPU utilization', unit: '%', lines: [{ id: 'gpu_util', label: 'util', ...util, color: 'var(--chart-3)' }] });
  }
  return charts;
}
