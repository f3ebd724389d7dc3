// One metric chart. recharts draws the frame (axes, grid, markers); the lines themselves are one
// SVG path each, built from the downsampled points, because recharts' per-point machinery costs
// too much to redraw 60 times a second while zooming. Zoom with the wheel, by dragging across a
// range, or with the keyboard (+, -, arrows, 0) when the chart has focus; hover shows exact values.
import { useMemo, useState, type KeyboardEvent } from 'react';
import { CartesianGrid, LineChart, ReferenceLine, ResponsiveContainer, XAxis, YAxis } from 'recharts';
import {
  formatTick,
  formatValue,
  fullDomain,
  niceTicks,
  panDomain,
  visibleData,
  zoomDomain,
  type ChartLine,
  type Domain,
} from './chart-data';
import { PlotLayer, type Hover } from './PlotLayer';

export interface MetricChartProps {
  title: string;
  lines: readonly ChartLine[];
  /** Shared zoom (the dashboard zooms all charts together); null = everything. */
  domain: Domain | null;
  onDomainChange(domain: Domain | null): void;
  unit?: string;
  /** Points per line after downsampling; about one per horizontal pixel pair. */
  maxPoints?: number;
  /** Vertical markers, e.g. checkpoints. */
  markers?: readonly { x: number; label: string }[];
  height?: number;
}

const MARGIN = { top: 8, right: 16, bottom: 4, left: 4 };

export function MetricChart({ title, lines, domain, onDomainChange, unit, maxPoints = 500, markers, height }: MetricChartProps) {
  const full = useMemo(() => fullDomain(lines), [lines]);
  const data = useMemo(() => visibleData(lines, domain, maxPoints), [lines, domain, maxPoints]);
  const view: Domain | null = domain ?? full;
  const yAxis = data.yExtent ? niceTicks(data.yExtent) : null;
  const yDomain = yAxis?.domain ?? null;
  // x is the optimizer step: integer ticks inside the view only.
  const xTicks = view ? niceTicks([view[0], view[1]], 6).ticks.filter((t) => t >= view[0] && t <= view[1] && Number.isInteger(t)) : undefined;
  const yStep = yAxis && yAxis.ticks.length > 1 ? yAxis.ticks[1]! - yAxis.ticks[0]! : 1;
  const [hover, setHover] = useState<Hover | null>(null);
  const drawn = data.series.reduce((n, s) => n + s.xs.length, 0);
  const empty = drawn === 0 || !view || !yDomain;

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (!full || !view) return;
    const mid = (view[0] + view[1]) / 2;
    const actions: Record<string, () => Domain | null> = {
      '+': () => zoomDomain(view, full, mid, 0.8),
      '=': () => zoomDomain(view, full, mid, 0.8),
      '-': () => zoomDomain(view, full, mid, 1.25),
      '0': () => null,
      ArrowLeft: () => (domain ? panDomain(view, full, -0.2) : null),
      ArrowRight: () => (domain ? panDomain(view, full, 0.2) : null),
    };
    const act = actions[e.key];
    if (act) {
      e.preventDefault();
      onDomainChange(act());
    }
  };

  const latest = lines.filter((l) => !l.faint).map((l) => ({ l, v: lastFinite(l.ys) }));

  return (
    <section className="card chart-card" aria-label={`${title} chart`} data-testid={`chart-${title}`} data-points={drawn} data-raw-points={lines[0]?.xs.length ?? 0} data-first-x={lines[0]?.xs[0]} data-last-x={lines[0]?.xs.at(-1)}>
      <header>
        <h3>{title}</h3>
        <span className="legend num">
          {latest.map(({ l, v }) => (
            <span key={l.id} style={{ color: l.color, marginLeft: 8 }}>
              {l.label} {v === null ? '—' : `${formatValue(v)}${unit ? ` ${unit}` : ''}`}
            </span>
          ))}
          {domain && (
            <button type="button" onClick={() => onDomainChange(null)} style={{ marginLeft: 8, padding: '0 8px' }}>
              Reset zoom
            </button>
          )}
        </span>
      </header>
      <div
        className="chart-body"
        tabIndex={0}
        role="img"
        aria-label={`${title}: ${empty ? 'no data yet' : `${drawn} points shown`}. Wheel or + and - to zoom, drag to zoom to a range, arrows to pan, 0 to reset.`}
        onKeyDown={onKeyDown}
        style={{ position: 'relative', ...(height ? { height } : {}) }}
      >
        {empty ? (
          <p className="help" style={{ paddingTop: 80, textAlign: 'center' }}>
            Waiting for the first values…
          </p>
        ) : (
          <ResponsiveContainer width="100%" height="100%">
            <LineChart margin={MARGIN}>
              <CartesianGrid stroke="var(--grid)" vertical={false} />
              <XAxis
                dataKey="x"
                type="number"
                domain={[view[0], view[1]]}
                ticks={xTicks}
                allowDataOverflow
                tickFormatter={(v: number) => formatValue(v)}
                stroke="var(--muted)"
                fontSize={11}
              />
              <YAxis
                type="number"
                width={56}
                domain={[yDomain[0], yDomain[1]]}
                ticks={yAxis?.ticks}
                allowDataOverflow
                tickFormatter={(v: number) => formatTick(v, yStep)}
                stroke="var(--muted)"
                fontSize={11}
              />
              {markers?.map((m) =>
                m.x >= view[0] && m.x <= view[1] ? (
                  <ReferenceLine key={`${m.label}-${m.x}`} x={m.x} stroke="var(--muted)" strokeDasharray="3 3" />
                ) : null,
              )}
              <PlotLayer lines={lines} series={data.series} view={view} full={full!} onDomainChange={onDomainChange} hover={hover} onHover={setHover} />
            </LineChart>
          </ResponsiveContainer>
        )}
        {hover && !empty && (
          <div className="chart-tooltip" role="status" style={{ left: hover.left, top: 8 }}>
            <div className="num">step {formatValue(hover.x)}</div>
            {hover.values.map((v) => (
              <div key={v.label} className="num" style={{ color: v.color }}>
                {v.label}: {formatValue(v.y)}
                {unit ? ` ${unit}` : ''}
              </div>
            ))}
          </div>
        )}
      </div>
    </section>
  );
}

function lastFinite(ys: readonly (number | null)[]): number | null {
  for (let i = ys.length - 1; i >= 0; i--) {
    const v = ys[i];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  return null;
}
