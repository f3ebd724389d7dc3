// Token lengths of the samples as bars, with the max_len cut drawn as a line: what is right of it
// gets truncated.
import { Bar, BarChart, CartesianGrid, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { DataCheckReport } from '../../../../electron/shared/contract/datasets';

type Histogram = NonNullable<DataCheckReport['histogram']>;

/** Bars keyed by their lower edge; bins has one more entry than counts. */
export function histogramRows(h: Histogram): { from: number; to: number; mid: number; count: number; over: boolean }[] {
  return h.counts.map((count, i) => {
    const from = h.bins[i] ?? 0;
    const to = h.bins[i + 1] ?? from;
    return { from, to, mid: (from + to) / 2, count, over: from >= h.max_len };
  });
}

export function LengthHistogram({ histogram }: { histogram: Histogram }) {
  const rows = histogramRows(histogram);
  return (
    <div style={{ height: 180 }} role="img" aria-label={`Histogram of sample lengths; ${histogram.over_max_len} of them longer than ${histogram.max_len} tokens`}>
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={rows} margin={{ top: 16, right: 16, bottom: 4, left: 4 }} barCategoryGap={1}>
          <CartesianGrid stroke="var(--grid)" vertical={false} />
          <XAxis dataKey="mid" type="number" domain={[rows[0]?.from ?? 0, Math.max(rows.at(-1)?.to ?? 0, histogram.max_len * 1.05)]} stroke="var(--muted)" fontSize={11} tickFormatter={(v: number) => String(Math.round(v))} />
          <YAxis allowDecimals={false} stroke="var(--muted)" fontSize={11} width={40} />
          <Tooltip
            isAnimationActive={false}
            labelFormatter={(_l, p) => {
              const r = p?.[0]?.payload as { from: number; to: number } | undefined;
              return r ? `${Math.round(r.from)}–${Math.round(r.to)} tokens` : '';
            }}
            contentStyle={{ background: 'var(--panel)', border: '1px solid var(--border)', color: 'var(--text)' }}
          />
          <Bar dataKey="count" name="samples" fill="var(--chart-1)" isAnimationActive={false} />
          <ReferenceLine x={histogram.max_len} stroke="var(--bad)" strokeWidth={2} label={{ value: `max_len ${histogram.max_len}`, fill: 'var(--bad)', fontSize: 11, position: 'top' }} />
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}
