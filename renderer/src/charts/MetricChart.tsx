// One metric chart, drawn as plain SVG: axes, grid, one path per series, markers, hover, zoom.
// Why not recharts here (the histogram and other small charts use it): while zooming a 100k-point
// series every frame re-renders the chart, and recharts' per-render machinery (selectors, tick
// generation, element churn) cost more than the 33 ms frame budget on a busy CPU; this chart's
// per-frame work is the downsampling plus a few dozen SVG elements.
// Zoom with the wheel, by dragging across a range, or with the keyboard (+, -, arrows, 0) when the
// chart has focus; hover shows exact values.
import { useEffect, useMemo, useRef, useState, type KeyboardEvent, type MouseEvent, type WheelEvent } from 'react';
import {
  formatTick,
  formatValue,
  fullDomain,
  nearestIndex,
  niceTicks,
  panDomain,
  visibleData,
  zoomDomain,
  type ChartLine,
  type Domain,
  type VisibleSeries,
} from './chart-data';

export interface MetricChartProps {
  title: string;
  lines: readonly ChartLine[];
  /** Shared zoom (the dashboard zooms all charts together); null = everything. */
  domain: Domain | null;
  onDomainChange(domain: Domain | null): void;
  unit?: string;
  /** The y axis title (what is measured, with its unit); the x axis is always the optimizer step. */
  yLabel?: string;
  /** Start the y axis at zero (memory, throughput): a range cut to the data exaggerates small changes. */
  yFromZero?: boolean;
  /** Points per line after downsampling; about one per horizontal pixel pair. */
  maxPoints?: number;
  /** Vertical markers, e.g. checkpoints (dashed) or the point a resumed run continues from (solid); the legend names each kind. */
  markers?: readonly ChartMarker[];
  height?: number;
}

// Room for the tick labels plus the rotated y title on the left and the x title below.
export interface ChartMarker {
  x: number;
  label: string;
  solid?: boolean;
}

const PAD = { left: 72, right: 14, top: 10, bottom: 38 };
export const X_AXIS_TITLE = 'optimizer step';

interface Hover {
  x: number;
  values: { label: string; color: string; y: number }[];
}

export function MetricChart({ title, lines, domain, onDomainChange, unit, yLabel, yFromZero, maxPoints = 500, markers, height }: MetricChartProps) {
  const bodyRef = useRef<HTMLDivElement>(null);
  const [size, setSize] = useState({ width: 600, height: height ?? 220 });
  useEffect(() => {
    const el = bodyRef.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver(([entry]) => {
      if (entry) setSize({ width: Math.max(entry.contentRect.width, 120), height: Math.max(entry.contentRect.height, 80) });
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  const full = useMemo(() => fullDomain(lines), [lines]);
  const data = useMemo(() => visibleData(lines, domain, maxPoints), [lines, domain, maxPoints]);
  const view: Domain | null = domain ?? full;
  const [hover, setHover] = useState<Hover | null>(null);
  const [drag, setDrag] = useState<{ from: number; to: number } | null>(null);
  const drawn = data.series.reduce((n, s) => n + s.xs.length, 0);
  const empty = drawn === 0 || !view || !data.yExtent;

  const plotW = size.width - PAD.left - PAD.right;
  const plotH = size.height - PAD.top - PAD.bottom;
  const yExtent: [number, number] | null = data.yExtent && yFromZero ? [Math.min(0, data.yExtent[0]), Math.max(data.yExtent[1], 0)] : data.yExtent;
  const yAxis = yExtent ? niceTicks(yExtent) : null;
  const markerKinds = [...new Map((markers ?? []).map((m) => [m.label, m])).values()];
  const yStep = yAxis && yAxis.ticks.length > 1 ? yAxis.ticks[1]! - yAxis.ticks[0]! : 1;
  // x is the optimizer step: integer ticks inside the view only.
  const xTicks = view ? niceTicks([view[0], view[1]], 6).ticks.filter((t) => t >= view[0] && t <= view[1] && Number.isInteger(t)) : [];
  const px = (v: number) => (view ? PAD.left + ((v - view[0]) / (view[1] - view[0] || 1)) * plotW : 0);
  const py = (v: number) => (yAxis ? PAD.top + (1 - (v - yAxis.domain[0]) / (yAxis.domain[1] - yAxis.domain[0] || 1)) * plotH : 0);
  const xAt = (clientX: number): number => {
    const box = bodyRef.current!.getBoundingClientRect();
    const t = Math.min(Math.max((clientX - box.left - PAD.left) / Math.max(plotW, 1), 0), 1);
    return view![0] + t * (view![1] - view![0]);
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
  const onWheel = (e: WheelEvent<SVGRectElement>) => {
    if (!full || !view) return;
    onDomainChange(zoomDomain(view, full, xAt(e.clientX), e.deltaY < 0 ? 0.8 : 1.25));
  };
  const onMove = (e: MouseEvent<SVGRectElement>) => {
    if (!view) return;
    const x = xAt(e.clientX);
    if (drag) setDrag({ ...drag, to: x });
    const values: Hover['values'] = [];
    let snapX = x;
    data.series.forEach((s, k) => {
      const line = lines[k]!;
      if (line.faint || s.xs.length === 0) return;
      const i = nearestIndex(s.xs, x);
      snapX = s.xs[i]!;
      values.push({ label: line.label, color: line.color, y: s.ys[i]! });
    });
    setHover(values.length ? { x: snapX, values } : null);
  };

  const latest = lines.filter((l) => !l.faint).map((l) => ({ l, v: lastFinite(l.ys) }));
  const clipId = `clip-${title.replace(/\W+/g, '-')}`;

  return (
    <section
      className="card chart-card"
      aria-label={`${title} chart`}
      data-testid={`chart-${title}`}
      data-points={drawn}
      data-raw-points={lines[0]?.xs.length ?? 0}
      data-first-x={lines[0]?.xs[0]}
      data-last-x={lines[0]?.xs.at(-1)}
    >
      <header>
        <h3>{title}</h3>
        <span className="legend num">
          {latest.map(({ l, v }) => (
            <span key={l.id} style={{ color: l.color, marginLeft: 8 }}>
              {l.label} {v === null ? '—' : `${formatValue(v)}${unit ? ` ${unit}` : ''}`}
            </span>
          ))}
          {markerKinds.map((m) => (
            <span key={`marker-${m.label}`} className={`marker-key${m.solid ? ' solid' : ''}`} data-testid="marker-legend">
              {m.label}
            </span>
          ))}
          {domain && (
            <button type="button" onClick={() => onDomainChange(null)} style={{ marginLeft: 8, padding: '0 8px' }} aria-label={`Reset zoom of the ${title} chart`}>
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
        aria-label={`${title}: ${empty ? 'no data yet' : `${drawn} points shown`}. Wheel or + and - to zoom, drag to zoom to a range, arrows to pan, 0 to reset.`}
        onKeyDown={onKeyDown}
        style={{ position: 'relative', ...(height ? { height } : {}) }}
      >
        {empty ? (
          <p className="help" style={{ paddingTop: 80, textAlign: 'center' }}>
            Waiting for the first values…
          </p>
        ) : (
          <svg width={size.width} height={size.height} className="metric-svg" aria-hidden="true">
            <defs>
              <clipPath id={clipId}>
                <rect x={PAD.left} y={PAD.top - 2} width={plotW} height={plotH + 4} />
              </clipPath>
            </defs>
            {yAxis!.ticks.map((t) => (
              <g key={`y${t}`}>
                <line x1={PAD.left} x2={PAD.left + plotW} y1={py(t)} y2={py(t)} stroke="var(--grid)" />
                <text x={PAD.left - 6} y={py(t)} dy="0.32em" textAnchor="end" className="tick">
                  {formatTick(t, yStep)}
                </text>
              </g>
            ))}
            {xTicks.map((t) => (
              <text key={`x${t}`} x={px(t)} y={PAD.top + plotH + 16} textAnchor="middle" className="tick">
                {formatValue(t)}
              </text>
            ))}
            <line x1={PAD.left} x2={PAD.left + plotW} y1={PAD.top + plotH} y2={PAD.top + plotH} stroke="var(--muted)" />
            <text x={PAD.left + plotW / 2} y={PAD.top + plotH + 32} textAnchor="middle" className="axis-title" data-axis="x">
              {X_AXIS_TITLE}
            </text>
            <text transform={`translate(14 ${PAD.top + plotH / 2}) rotate(-90)`} textAnchor="middle" className="axis-title" data-axis="y">
              {yLabel ?? (unit ? `${title} (${unit})` : title)}
            </text>
            <g clipPath={`url(#${clipId})`}>
              {markers?.map((m) =>
                m.x >= view![0] && m.x <= view![1] ? (
                  <line key={`${m.label}-${m.x}`} x1={px(m.x)} x2={px(m.x)} y1={PAD.top} y2={PAD.top + plotH} stroke={m.solid ? 'var(--text)' : 'var(--muted)'} strokeDasharray={m.solid ? undefined : '3 3'}>
                    <title>{`${m.label} at step ${m.x}`}</title>
                  </line>
                ) : null,
              )}
              {data.series.map((s, k) => {
                const line = lines[k]!;
                return (
                  <path
                    key={line.id}
                    className="plot-line"
                    data-line={line.id}
                    d={pathOf(s, px, py)}
                    fill="none"
                    stroke={line.color}
                    strokeWidth={line.faint ? 1 : 2}
                    strokeOpacity={line.faint ? 0.7 : 1}
                    strokeLinejoin="round"
                  />
                );
              })}
              {/* Few points (the first minutes of a run): show each one; a line alone hides how sparse it is. */}
              {data.series.map((s, k) => {
                const line = lines[k]!;
                if (line.faint || s.xs.length > 40) return null;
                return (
                  <g key={`${line.id}-dots`} fill={line.color}>
                    {s.xs.map((x, i) => (
                      <circle key={i} cx={px(x)} cy={py(s.ys[i]!)} r={2.5} />
                    ))}
                  </g>
                );
              })}
              {drag && drag.from !== drag.to && (
                <rect x={Math.min(px(drag.from), px(drag.to))} y={PAD.top} width={Math.abs(px(drag.to) - px(drag.from))} height={plotH} fill="var(--accent)" fillOpacity={0.12} />
              )}
              {hover && (
                <g pointerEvents="none">
                  <line x1={px(hover.x)} x2={px(hover.x)} y1={PAD.top} y2={PAD.top + plotH} stroke="var(--muted)" strokeDasharray="2 3" />
                  {hover.values.map((v) => (
                    <circle key={v.label} cx={px(hover.x)} cy={py(v.y)} r={3.5} fill={v.color} />
                  ))}
                </g>
              )}
            </g>
            <rect
              x={PAD.left}
              y={PAD.top}
              width={plotW}
              height={plotH}
              fill="transparent"
              style={{ cursor: 'crosshair' }}
              onMouseMove={onMove}
              onMouseLeave={() => {
                setHover(null);
                setDrag(null);
              }}
              onMouseDown={(e) => {
                const x = xAt(e.clientX);
                setDrag({ from: x, to: x });
              }}
              onMouseUp={() => {
                if (drag && Math.abs(px(drag.to) - px(drag.from)) > 4) onDomainChange([Math.min(drag.from, drag.to), Math.max(drag.from, drag.to)]);
                setDrag(null);
              }}
              onWheel={onWheel}
            />
          </svg>
        )}
        {hover && !empty && (
          <div className="chart-tooltip" role="status" style={{ left: Math.min(px(hover.x) + 12, size.width - 160), top: 8 }}>
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

/** "M x0 y0 L x1 y1 ..." in pixels, rounded to 0.1 px (shorter strings, same picture). */
function pathOf(s: VisibleSeries, px: (v: number) => number, py: (v: number) => number): string {
  let d = '';
  for (let i = 0; i < s.xs.length; i++) {
    d += `${i === 0 ? 'M' : 'L'}${Math.round(px(s.xs[i]!) * 10) / 10},${Math.round(py(s.ys[i]!) * 10) / 10}`;
  }
  return d;
}

function lastFinite(ys: readonly (number | null)[]): number | null {
  for (let i = ys.length - 1; i >= 0; i--) {
    const v = ys[i];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  return null;
}
