// Inside a recharts chart: draws each visible series as one SVG path using the chart's own axis
// scales, and handles the pointer over the plot area (hover values, wheel zoom, drag-to-zoom).
import { useState, type MouseEvent, type WheelEvent } from 'react';
import { usePlotArea, useXAxisInverseScale, useXAxisScale, useYAxisScale } from 'recharts';
import { nearestIndex, zoomDomain, type ChartLine, type Domain, type VisibleSeries } from './chart-data';

export interface Hover {
  x: number;
  /** Pixel offset of the tooltip inside the chart body. */
  left: number;
  values: { label: string; color: string; y: number }[];
}

interface PlotLayerProps {
  lines: readonly ChartLine[];
  series: readonly VisibleSeries[];
  view: Domain;
  full: Domain;
  onDomainChange(domain: Domain | null): void;
  hover: Hover | null;
  onHover(hover: Hover | null): void;
}

export function PlotLayer({ lines, series, view, full, onDomainChange, hover, onHover }: PlotLayerProps) {
  const xScale = useXAxisScale();
  const yScale = useYAxisScale();
  const xInverse = useXAxisInverseScale();
  const area = usePlotArea();
  const [drag, setDrag] = useState<{ from: number; to: number } | null>(null);
  if (!xScale || !yScale || !xInverse || !area) return null;

  const px = (v: number) => xScale(v) ?? 0;
  const py = (v: number) => yScale(v) ?? 0;
  const dataX = (e: MouseEvent<SVGRectElement>) => {
    const box = e.currentTarget.getBoundingClientRect();
    return Number(xInverse(area.x + (e.clientX - box.left)));
  };
  const clipId = `clip-${lines.map((l) => l.id).join('-')}`;

  const onMove = (e: MouseEvent<SVGRectElement>) => {
    const x = dataX(e);
    if (drag) setDrag({ ...drag, to: x });
    const values: Hover['values'] = [];
    let snapX = x;
    series.forEach((s, k) => {
      const line = lines[k]!;
      if (line.faint || s.xs.length === 0) return;
      const i = nearestIndex(s.xs, x);
      snapX = s.xs[i]!;
      values.push({ label: line.label, color: line.color, y: s.ys[i]! });
    });
    if (values.length) onHover({ x: snapX, left: Math.min(px(snapX) + 12, area.x + area.width - 150), values });
  };

  const onWheel = (e: WheelEvent<SVGRectElement>) => {
    const box = e.currentTarget.getBoundingClientRect();
    const anchor = Number(xInverse(area.x + (e.clientX - box.left)));
    onDomainChange(zoomDomain(view, full, anchor, e.deltaY < 0 ? 0.8 : 1.25));
  };

  return (
    <g>
      <defs>
        <clipPath id={clipId}>
          <rect x={area.x} y={area.y} width={area.width} height={area.height} />
        </clipPath>
      </defs>
      <g clipPath={`url(#${clipId})`}>
        {series.map((s, k) => {
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
        {/* Few points (the first minutes of a run): show each one, a line alone hides how sparse it is. */}
        {series.map((s, k) => {
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
          <rect
            x={Math.min(px(drag.from), px(drag.to))}
            y={area.y}
            width={Math.abs(px(drag.to) - px(drag.from))}
            height={area.height}
            fill="var(--accent)"
            fillOpacity={0.12}
          />
        )}
        {hover && (
          <g pointerEvents="none">
            <line x1={px(hover.x)} x2={px(hover.x)} y1={area.y} y2={area.y + area.height} stroke="var(--muted)" strokeDasharray="2 3" />
            {hover.values.map((v) => (
              <circle key={v.label} cx={px(hover.x)} cy={py(v.y)} r={3.5} fill={v.color} />
            ))}
          </g>
        )}
      </g>
      <rect
        x={area.x}
        y={area.y}
        width={area.width}
        height={area.height}
        fill="transparent"
        style={{ cursor: 'crosshair' }}
        onMouseMove={onMove}
        onMouseLeave={() => {
          onHover(null);
          setDrag(null);
        }}
        onMouseDown={(e) => {
          const x = dataX(e);
          setDrag({ from: x, to: x });
        }}
        onMouseUp={() => {
          if (drag && Math.abs(px(drag.to) - px(drag.from)) > 4) {
            onDomainChange([Math.min(drag.from, drag.to), Math.max(drag.from, drag.to)]);
          }
          setDrag(null);
        }}
        onWheel={onWheel}
      />
    </g>
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
