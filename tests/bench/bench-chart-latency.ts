// Live latency, measured end to end: the real trainer writes a metrics event (its "ts" is the
// moment it wrote the line), the run manager tails it, the browser-mode server pushes it, the
// dashboard draws it. The page records when each step first appears in the Loss chart.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { demoModel } from '../helpers/runs-helpers';
import { openChromium, shot } from '../helpers/chromium';
import { callApi, startWebServer } from '../helpers/web-server';

export interface LatencyResult {
  samples: number;
  medianMs: number;
  p95Ms: number;
  maxMs: number;
}

export async function measureLiveLatency(steps = 30): Promise<LatencyResult> {
  const model = await demoModel();
  const server = await startWebServer();
  const browser = await openChromium();
  let runId = '';
  try {
    const { page } = browser;
    // Browser mode reads only folders the user chose: choose the model folder as the page would.
    await callApi(server, 'system.pickPath', { kind: 'directory', purpose: 'model', typedPath: model });
    const started = await callApi<{ summary: { runId: string } }>(server, 'runs.start', {
      config: {
        train_type: 'lora',
        lora_dim: 4,
        learning_rate: 0.002,
        max_len: 48,
        max_src_len: 24,
        per_device_train_batch_size: 2,
        num_train_epochs: 1,
        max_steps: steps + 5,
        show_loss_step: 1,
        save_model_step: 10_000,
        device: 'cpu',
        train_path: join(import.meta.dirname, '..', '..', 'resources', 'demo', 'train.jsonl'),
        model_name_or_path: model,
      },
    });
    runId = started.summary.runId;
    await page.goto(`${server.url}#/run/${runId}`);
    await page.waitForSelector('[data-testid="chart-Loss"]');
    // Record the wall-clock moment each new last step shows up in the chart.
    // A string, not a function: tsx would wrap named inner functions in a helper the page lacks.
    await page.evaluate(`(() => {
      const seen = {};
      window.__seen = seen;
      const el = document.querySelector('[data-testid="chart-Loss"]');
      const note = () => {
        const x = Number(el.getAttribute('data-last-x'));
        if (Number.isFinite(x) && !(x in seen)) seen[x] = Date.now();
      };
      new MutationObserver(note).observe(el, { attributes: true, attributeFilter: ['data-last-x'] });
      note();
    })()`);
    const deadline = Date.now() + 300_000;
    let seen: Record<number, number> = {};
    while (Date.now() < deadline) {
      seen = await page.evaluate(() => (window as unknown as { __seen: Record<number, number> }).__seen);
      if (Object.keys(seen).length >= steps) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    await shot(page, 'bench-chart', 'live-latency');
    const written = new Map<number, number>();
    for (const line of readFileSync(join(server.runsDir, runId, 'events.jsonl'), 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const e = JSON.parse(line) as { type: string; step?: number; ts: number };
      if (e.type === 'metrics' && typeof e.step === 'number') written.set(e.step, e.ts * 1000);
    }
    // The first observed step may have been in the history load (seen late by design): skip it.
    const latencies = Object.entries(seen)
      .map(([step, at]) => at - (written.get(Number(step)) ?? NaN))
      .slice(1)
      .filter((v) => Number.isFinite(v))
      .sort((a, b) => a - b);
    if (latencies.length === 0) throw new Error('no metrics event was seen in the chart');
    return {
      samples: latencies.length,
      medianMs: latencies[Math.floor(latencies.length / 2)]!,
      p95Ms: latencies[Math.min(Math.floor(latencies.length * 0.95), latencies.length - 1)]!,
      maxMs: latencies.at(-1)!,
    };
  } finally {
    if (runId) await callApi(server, 'runs.stop', { runId }).catch(() => undefined);
    await browser.close();
    await server.stop();
  }
}
