// Several runs side by side: their loss curves overlaid (aligned by step) and the settings that
// differ between them.
import { useMemo, useState } from 'react';
import { MetricChart } from '../../charts/MetricChart';
import type { ChartLine, Domain } from '../../charts/chart-data';
import { ErrorNote } from '../../components/ErrorNote';
import { useCall } from '../../components/useCall';
import { METHOD_NAMES, SETTINGS } from '../../shared-state/train-settings';

/** Metric keys as people say them, with the unit of their values. */
export const METRIC_NAMES: Record<string, { title: string; unit?: string }> = {
  loss: { title: 'Training loss' },
  eval_loss: { title: 'Eval loss' },
  lr: { title: 'Learning rate' },
  grad_norm: { title: 'Gradient norm' },
  tokens_per_s: { title: 'Tokens per second', unit: 'tokens/s' },
  samples_per_s: { title: 'Samples per second', unit: 'samples/s' },
  mem_gb: { title: 'Memory', unit: 'GiB' },
  mem_peak_gb: { title: 'Peak memory', unit: 'GiB' },
};
export const metricTitle = (key: string) => METRIC_NAMES[key]?.title ?? key.replace(/_/g, ' ');

const SETTING_LABELS: Record<string, string> = {
  ...Object.fromEntries(SETTINGS.map((s) => [s.key, s.label])),
  train_type: 'Method',
  model_name_or_path: 'Base model',
  train_path: 'Training data',
  eval_path: 'Eval data',
};

/** A setting's value in words: the method's name, yes/no, a plain number; "not used" where the run's method has no such setting. */
export function settingText(key: string, value: unknown): string {
  if (value === undefined) return 'not used by this method';
  if (value === null || value === '') return 'default';
  if (key === 'train_type' && typeof value === 'string') return METHOD_NAMES[value] ?? value;
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'number') return String(Number(value.toPrecision(6)));
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

const COLORS = ['var(--chart-1)', 'var(--chart-2)', 'var(--chart-3)', 'var(--chart-4)', 'var(--chart-5)'];

/** One chart line per run from the aligned series (steps shared, null where a run has no value). */
export function overlayLines(steps: readonly number[], perRun: Record<string, readonly (number | null)[]>): ChartLine[] {
  return Object.entries(perRun).map(([runId, values], i) => {
    const xs: number[] = [];
    const ys: (number | null)[] = [];
    values.forEach((v, k) => {
      if (v === null) return;
      xs.push(steps[k]!);
      ys.push(v);
    });
    return { id: `run-${i}`, label: runId, xs, ys, color: COLORS[i % COLORS.length]! };
  });
}

export function CompareRuns({ runIds }: { runIds: string[] }) {
  const cmp = useCall('runs.compare', { runIds, metrics: ['loss', 'eval_loss', 'lr', 'tokens_per_s'] });
  const [domain, setDomain] = useState<Domain | null>(null);
  const charts = useMemo(() => {
    if (!cmp.data) return [];
    const { steps, series } = cmp.data;
    return Object.entries(series)
      .filter(([, perRun]) => Object.values(perRun).some((v) => v.some((x) => x !== null)))
      .map(([metric, perRun]) => ({ metric, lines: overlayLines(steps, perRun) }));
  }, [cmp.data]);

  return (
    <section className="stack" aria-label="Comparison" data-testid="compare">
      <h2>Comparing {runIds.join(', ')}</h2>
      <ErrorNote error={cmp.error} />
      <div className="grid charts">
        {charts.map((c) => (
          <MetricChart
            key={c.metric}
            title={metricTitle(c.metric)}
            unit={METRIC_NAMES[c.metric]?.unit}
            yFromZero={c.metric !== 'loss' && c.metric !== 'eval_loss'}
            lines={c.lines}
            domain={domain}
            onDomainChange={setDomain}
          />
        ))}
      </div>
      {cmp.data && (
        <section className="card" aria-label="Settings that differ">
          <h3>Settings that differ</h3>
          {cmp.data.configDiff.length === 0 ? (
            <p className="help">The runs used the same settings.</p>
          ) : (
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">Setting</th>
                  {runIds.map((id) => (
                    <th scope="col" key={id}>
                      {id}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {cmp.data.configDiff.map((d) => (
                  <tr key={d.key}>
                    <th scope="row" style={{ fontWeight: 500 }}>
                      {SETTING_LABELS[d.key] ?? d.key.replace(/_/g, ' ')} <span className="mono help">{d.key}</span>
                    </th>
                    {runIds.map((id) => (
                      <td key={id} className={d.values[id] === undefined ? 'help' : 'num'} style={{ overflowWrap: 'anywhere' }}>
                        {settingText(d.key, d.values[id])}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      )}
    </section>
  );
}
