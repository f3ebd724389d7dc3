// Several runs side by side: their loss curves overlaid (aligned by step) and the settings that
// differ between them.
import { useMemo, useState } from 'react';
import { MetricChart } from '../../charts/MetricChart';
import type { ChartLine, Domain } from '../../charts/chart-data';
import { ErrorNote } from '../../components/ErrorNote';
import { useCall } from '../../components/useCall';

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
          <MetricChart key={c.metric} title={c.metric} lines={c.lines} domain={domain} onDomainChange={setDomain} />
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
                    <td className="mono">{d.key}</td>
                    {runIds.map((id) => (
                      <td key={id} className="mono">
                        {d.values[id] === undefined ? '—' : JSON.stringify(d.values[id])}
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
