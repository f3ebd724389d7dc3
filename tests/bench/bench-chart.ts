// `npm run bench:chart`: (1) the chart's frame rate while zooming 100k points, measured in Chromium
// with requestAnimationFrame (goal >= 30 fps); (2) the live latency from the trainer writing a
// metrics event to the dashboard drawing it, against `npm run web` (goal < 500 ms).
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import type { AddressInfo } from 'node:net';
import { build } from 'vite';
import react from '@vitejs/plugin-react';
import { chromiumMissing, openChromium, shot } from '../helpers/chromium';
import { measureLiveLatency } from './bench-chart-latency';

const root = import.meta.dirname;
const out = mkdtempSync(join(tmpdir(), 'tunedesk-bench-chart-'));

async function main(): Promise<number> {
  const missing = chromiumMissing();
  if (missing) {
    console.error(`bench:chart cannot run: ${missing}`);
    return 1;
  }
  await build({
    root,
    configFile: false,
    logLevel: 'warn',
    plugins: [react()],
    build: { outDir: out, emptyOutDir: true, rollupOptions: { input: join(root, 'bench-chart-page.html') } },
  });
  const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };
  const server = createServer(async (req, res) => {
    const path = normalize(join(out, decodeURIComponent((req.url ?? '/').split('?')[0]!)));
    if (!path.startsWith(out)) return void res.writeHead(403).end();
    try {
      const body = await readFile(path);
      res.writeHead(200, { 'content-type': types[extname(path)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const browser = await openChromium();
  try {
    const { page } = browser;
    await page.goto(`http://127.0.0.1:${port}/bench-chart-page.html?points=${process.env.BENCH_POINTS ?? 500}`);
    await page.waitForSelector('.plot-line');
    await page.evaluate(() => window.benchZoom(20)); // warm-up (JIT, first layouts)
    const result = await page.evaluate(() => window.benchZoom(120));
    await shot(page, 'bench-chart', 'after-zoom');
    const updateMs = await page.evaluate(() => window.benchUpdateCost(60));
    await shot(page, 'bench-chart', 'zoom-bench-end');
    // Frames per second that showed a NEW picture: a frame where the zoom had not been drawn yet
    // does not count, so an idle or lagging chart cannot pass.
    const fps = result.changedFrames / result.seconds;
    const ok = fps >= 30;
    console.log('chart zoom, 100,000 points (raw + smoothed), Chromium headless, 120 wheel steps:');
    console.log(`  ${fps.toFixed(1)} redrawn frames/s (${result.fps.toFixed(1)} animation frames/s)   p95 frame ${result.p95FrameMs.toFixed(1)} ms   worst ${result.worstFrameMs.toFixed(1)} ms  frames redrawn ${result.changedFrames}/${result.frames}   goal >= 30 fps: ${ok ? 'PASS' : 'FAIL'}`);
    console.log(`  one zoom step costs ${updateMs.toFixed(1)} ms of main-thread work (render + commit + layout; frame budget at 30 fps: 33 ms)`);
    console.log(`  machine load while measuring: ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores`);
    return ok ? 0 : 1;
  } finally {
    await browser.close();
    server.close();
    rmSync(out, { recursive: true, force: true });
  }
}

async function latency(): Promise<number> {
  const r = await measureLiveLatency(30);
  const ok = r.p95Ms < 500;
  console.log('live latency, trainer writes a metrics event -> drawn in the dashboard (real trainer, demo model):');
  console.log(`  median ${r.medianMs.toFixed(0)} ms   p95 ${r.p95Ms.toFixed(0)} ms   max ${r.maxMs.toFixed(0)} ms over ${r.samples} events   goal < 500 ms (p95): ${ok ? 'PASS' : 'FAIL'}`);
  console.log(`  machine load while measuring: ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores`);
  return ok ? 0 : 1;
}

const zoomCode = await main();
const latencyCode = process.argv.includes('--zoom-only') ? 0 : await latency();
process.exitCode = zoomCode || latencyCode;
