// Benchmark page: the dashboard's MetricChart with 100k loss points (raw + smoothed, as the
// dashboard draws them). window.benchZoom() zooms with real wheel events, one per animation frame,
// and reports the frame rate measured with requestAnimationFrame.
import { useState } from 'react';
import { flushSync } from 'react-dom';
import { createRoot } from 'react-dom/client';
import { MetricChart } from '../../renderer/src/charts/MetricChart';
import type { ChartLine, Domain } from '../../renderer/src/charts/chart-data';
import { autoSmoothing, smoothEma } from '../../renderer/src/shared-state/run-selectors';
import '../../renderer/src/styles/app.css';

const N = 100_000;
const xs = Array.from({ length: N }, (_, i) => i + 1);
let seed = 42;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const ys = xs.map((x) => 4 * Math.exp(-x / 20_000) + 0.4 + (rand() - 0.5) * 0.6);
const lines: ChartLine[] = [
  { id: 'loss_raw', label: 'raw', xs, ys, color: 'var(--chart-raw)', faint: true },
  { id: 'loss_smooth', label: 'loss (smoothed)', xs, ys: smoothEma(ys, autoSmoothing(N)), color: 'var(--chart-1)' },
];

const maxPoints = Number(new URLSearchParams(location.search).get('points') ?? 600);

let setDomainForBench: (d: Domain | null) => void = () => {};

function Bench() {
  const [domain, setDomain] = useState<Domain | null>(null);
  setDomainForBench = setDomain;
  return (
    <div style={{ width: 900 }}>
      <MetricChart title="Loss" lines={lines} domain={domain} onDomainChange={setDomain} maxPoints={maxPoints} />
    </div>
  );
}

declare global {
  interface Window {
    benchZoom(frames: number): Promise<{ frames: number; seconds: number; fps: number; worstFrameMs: number; p95FrameMs: number; changedFrames: number }>;
    benchUpdateCost(steps: number): number;
  }
}

window.benchZoom = (frames) =>
  new Promise((resolve) => {
    const body = document.querySelector<HTMLElement>('.chart-body');
    if (!body) throw new Error('chart not rendered');
    const box = body.getBoundingClientRect();
    const times: number[] = [];
    let i = 0;
    let changed = 0;
    let lastPath = '';
    const tick = (t: number) => {
      times.push(t);
      // Count frames whose drawn line differs from the previous frame: proof that zooming happened.
      const path = document.querySelector('.plot-line')?.getAttribute('d') ?? '';
      if (path !== lastPath) changed++;
      lastPath = path;
      if (i >= frames) {
        const deltas = times.slice(1).map((v, k) => v - times[k]!);
        deltas.sort((a, b) => a - b);
        const seconds = (times.at(-1)! - times[0]!) / 1000;
        resolve({
          frames,
          seconds,
          fps: frames / seconds,
          worstFrameMs: deltas.at(-1)!,
          p95FrameMs: deltas[Math.floor(deltas.length * 0.95)]!,
          changedFrames: changed,
        });
        return;
      }
      // In for the first half (towards a point 30% across), out for the second: every frame
      // re-slices and re-downsamples the 100k points and re-renders the chart.
      const deltaY = i < frames / 2 ? -100 : 100;
      const clientX = box.left + box.width * 0.3;
      const clientY = box.top + 60;
      // Sent to whatever is under the pointer there (the plot area), as a real wheel would be.
      const target = document.elementFromPoint(clientX, clientY) ?? body;
      target.dispatchEvent(new WheelEvent('wheel', { deltaY, clientX, clientY, bubbles: true }));
      i++;
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });

// CPU cost of one zoom step apart from frame scheduling (which a busy machine stretches): a
// synchronous render + commit + layout of the chart for a new domain, averaged.
window.benchUpdateCost = (steps) => {
  const t0 = performance.now();
  for (let k = 0; k < steps; k++) {
    const width = 90_000 * Math.pow(0.95, k % 40);
    flushSync(() => setDomainForBench([20_000, 20_000 + width]));
    document.querySelector('.chart-body')!.getBoundingClientRect();
  }
  return (performance.now() - t0) / steps;
};

createRoot(document.getElementById('root')!).render(<Bench />);
