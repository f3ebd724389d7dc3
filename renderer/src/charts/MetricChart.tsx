// One metric chart: recharts over downsampled rows. Zoom with the wheel, by dragging across a range,
// or with the keyboard (+, -, arrows, 0) when the chart has focus; hover shows exact values.
import { useMemo, useRef, useState, type KeyboardEvent, type WheelEvent } from 'react';
import {
  CartesianGrid,
  Line,
  LineChart,
  ReferenceArea,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { chartRows, formatValue, fullDomain, panDomain, zoomDomain, type ChartLine, type Domain } from './chart-data';

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

// Plot-area margins inside the SVG, used to map the mouse position to an x value when zooming.
const MARGIN = { top: 8, right: 16, bottom: 4, left: 4 };
const Y_AXIS_WIDTH = 56;

export function MetricChart({ title, lines, domain, onDomainChange, unit, maxPoints = 600, markers, height }: MetricChartProps) {
  const full = useMemo(() => fullDomain(lines), [lines]);
  const rows = useMemo(() => chartRows(lines, domain, maxPoints), [lines, domain, maxPoints]);
  const view: Domain | null = domain ?? full;
  const [drag, setDrag] = useState<{ from: number; to: number } | null>(null);
  const bodyRef = useRef<HTMLDivElement>(null);
  const empty = rows.length === 0;

  const xAt = (clientX: number): number | null => {
    const el = bodyRef.current;
    if (!el || !view) return null;
    const box = el.getBoundingClientRect();
    const left = box.left + MARGIN.left + Y_AXIS_WIDTH;
    const width = box.width - MARGIN.left - MARGIN.right - Y_AXIS_WIDTH;
    const t = Math.min(Math.max((clientX - left) / Math.max(width, 1), 0), 1);
    return view[0] + t * (view[1] - view[0]);
  };

  const onWheel = (e: WheelEvent<HTMLDivElement>) => {
    if (!full || !view) return;
    const anchor = xAt(e.clientX) ?? (view[0] + view[1]) / 2;
    onDomainChange(zoomDomain(view, full, anchor, e.deltaY < 0 ? 0.8 : 1.25));
  };

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

  const last = lines.map((l) => ({ l, v: lastFinite(l.ys) })).filter((p) => !p.l.faint && p.v !== null);

  return (
    <section className="card chart-card" aria-label={`${title} chart`} data-testid={`chart-${title}`} data-points={rows.length}>
      <header>
        <h3>{title}</h3>
        <span className="legend num">
          {last.map(({ l, v }) => (
            <span key={l.id} style={{ color: l.color, marginLeft: 8 }}>
              {l.label} {formatValue(v!)}
              {unit ? ` ${unit}` : ''}
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
        ref={bodyRef}
        tabIndex={0}
        role="img"
        aria-label={`${title}: ${empty ? 'no data yet' : `${rows.length} points shown`}. Wheel or + and - to zoom, arrows to pan, 0 to reset.`}
        onWheel={onWheel}
        onKeyDown={onKeyDown}
        style={height ? { height } : undefined}
      >
        {empty ? (
          <p className="help" style={{ paddingTop: 80, textAlign: 'center' }}>
            Waiting for the first values…
          </p>
        ) : (
          <ResponsiveContainer width="100%" height="100%">
            <LineChart
              data={rows}
              margin={MARGIN}
              onMouseDown={(s) => typeof s?.activeLabel === 'number' && setDrag({ from: s.activeLabel, to: s.activeLabel })}
              onMouseMove={(s) => drag && typeof s?.activeLabel === 'number' && setDrag({ ...drag, to: s.activeLabel })}
              onMouseUp={() => {
                if (drag && drag.from !== drag.to) onDomainChange([Math.min(drag.from, drag.to), Math.max(drag.from, drag.to)]);
                setDrag(null);
              }}
            >
              <CartesianGrid stroke="var(--grid)" vertical={false} />
              <XAxis
                dataKey="x"
                type="number"
                domain={view ? [view[0], view[1]] : ['dataMin', 'dataMax']}
                allowDataOverflow
                tickFormatter={(v: number) => formatValue(v)}
                stroke="var(--muted)"
                fontSize={11}
              />
              <YAxis width={Y_AXIS_WIDTH} tickFormatter={(v: number) => formatValue(v)} stroke="var(--muted)" fontSize={11} domain={['auto', 'auto']} />
              <Tooltip
                isAnimationActive={false}
                labelFormatter={(x) => `step ${String(x)}`}
                formatter={(v) => (typeof v === 'number' ? formatValue(v) : String(v))}
                contentStyle={{ background: 'var(--panel)', border: '1px solid var(--border)', color: 'var(--text)' }}
              />
              {markers?.map((m) => (
                <ReferenceLine key={`${m.label}-${m.x}`} x={m.x} stroke="var(--muted)" strokeDasharray="3 3" />
              ))}
              {lines.map((l) => (
                <Line
                  key={l.id}
                  dataKey={l.id}
                  name={l.label}
                  stroke={l.color}
                  strokeWidth={l.faint ? 1 : 2}
                  strokeOpacity={l.faint ? 0.7 : 1}
                  dot={false}
                  activeDot={l.faint ? false : { r: 3 }}
                  isAnimationActive={false}
                  connectNulls
                  type="linear"
                />
              ))}
              {drag && drag.from !== drag.to && <ReferenceArea x1={drag.from} x2={drag.to} fill="var(--accent)" fillOpacity={0.12} />}
            </LineChart>
          </ResponsiveContainer>
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
