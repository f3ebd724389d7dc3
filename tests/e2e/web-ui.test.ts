// End-to-end in Debian's Chromium against `npm run web`, with the REAL trainer on the tiny demo
// model: (a) the one-click "Try the demo" end to end through to a verified export, (b) the wizard
// names the bad line of a data file, (c) the wizard starts a run and Stop gives a cancelled run
// with a checkpoint, (d) a page reload mid-run
// re-attaches the dashboard and the curve continues. Screenshots go to tests/artifacts/web-ui/.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoModel } from '../helpers/runs-helpers';
import { chromiumMissing, openChromium, shot, type OpenBrowser } from '../helpers/chromium';
import { callApi, startWebServer, type WebServer } from '../helpers/web-server';

const REPO = join(import.meta.dirname, '..', '..');
const DEMO_DATA = join(REPO, 'resources', 'demo', 'train.jsonl');
const missing = chromiumMissing();
if (missing) console.warn(`skipping the browser tests: ${missing}`);

describe.skipIf(missing !== null)('TuneDesk in the browser', () => {
  let server: WebServer;
  let browser: OpenBrowser;
  let model: string;
  let page: Page;

  beforeAll(async () => {
    model = await demoModel();
    server = await startWebServer();
    browser = await openChromium();
    page = browser.page;
    page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  const go = async (hash: string) => {
    await page.goto(`${server.url}${hash}`);
  };
  const chart = (title: string) => page.locator(`[data-testid="chart-${title}"]`);
  const rawPoints = async (title: string) => Number((await chart(title).getAttribute('data-raw-points')) ?? 0);

  async function pickModel(test: string) {
    await page.getByLabel('Model folder').fill(model);
    await page.getByRole('button', { name: 'Use this path' }).click();
    await page.getByTestId('model-card').waitFor();
    await shot(page, test, '1-model');
    await page.getByRole('button', { name: 'Next' }).click();
  }

  it('themes: dark follows the system, and a chosen theme wins over it', async () => {
    const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    await page.emulateMedia({ colorScheme: 'dark' });
    await go('#/');
    await page.reload();
    expect(await background()).toBe('rgb(17, 21, 27)');
    await shot(page, 'themes', '1-system-dark');
    await page.getByLabel('Theme').selectOption('light');
    expect(await background()).toBe('rgb(246, 247, 249)');
    await page.emulateMedia({ colorScheme: 'light' });
    await page.getByLabel('Theme').selectOption('dark');
    expect(await background()).toBe('rgb(17, 21, 27)');
    await shot(page, 'themes', '2-dark-chosen');
    await page.getByLabel('Theme').selectOption('system');
    expect(await background()).toBe('rgb(246, 247, 249)');
  });

  it('(b) the wizard names the bad line of a data file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tunedesk-e2e-data-'));
    const bad = join(dir, 'train.jsonl');
    writeFileSync(
      bad,
      [
        '{"instruction": "Translate to English: ", "input": "鱼", "output": "fish"}',
        '{"instruction": "Translate to English: ", "input": "猫", "output": "cat"}',
        '{"instruction": "Translate to English: ", "input": "狗", "output": ',
        '{"instruction": "Translate to English: ", "input": "鸟", "output": "bird"}',
      ].join('\n') + '\n',
    );
    await go('#/wizard');
    await pickModel('wizard-bad-line');
    await page.getByLabel('Data file').fill(bad);
    await page.getByRole('button', { name: 'Use this path' }).click();
    const problems = page.getByTestId('data-problems');
    await problems.waitFor({ timeout: 120_000 });
    await shot(page, 'wizard-bad-line', '2-data-errors');
    expect(await problems.textContent()).toMatch(/line 3\b/);
    expect(await page.getByRole('button', { name: 'Next' }).isDisabled()).toBe(true);
  });

  it('(c) Stop: the wizard starts a run, Stop ends it cancelled with a checkpoint', async () => {
    await go('#/wizard');
    await page.reload(); // a fresh wizard, not the one (b) left on its data step
    await pickModel('stop');
    await page.getByLabel('Data file').fill(DEMO_DATA);
    await page.getByRole('button', { name: 'Use this path' }).click();
    await page.locator('[data-testid=data-report][data-ok=true]').waitFor({ timeout: 120_000 });
    await shot(page, 'stop', '2-data');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByTestId('recommendation').waitFor({ timeout: 60_000 });
    // The expert switch shows every setting; report the loss at every step so the curve fills fast.
    await page.getByLabel('Expert settings').check();
    await page.getByLabel('Report every N steps', { exact: true }).fill('1');
    await page.getByLabel('Max length (tokens)', { exact: true }).fill('64');
    await page.getByLabel('Max prompt length', { exact: true }).fill('32');
    await shot(page, 'stop', '3-method');
    await page.getByRole('button', { name: 'Next' }).click();
    await expect.poll(() => page.getByTestId('cli-command').textContent()).toContain('--show_loss_step 1');
    // Before Start: an estimated time (a range), with where its speed figure came from.
    await expect.poll(() => page.getByTestId('time-estimate').textContent(), { timeout: 60_000 }).toMatch(/Estimated time: about \d/);
    await shot(page, 'stop', '4-review');
    await page.getByRole('button', { name: 'Start training' }).click();
    await page.getByTestId('run-dashboard').waitFor();
    await expect.poll(() => rawPoints('Loss'), { timeout: 180_000, interval: 500 }).toBeGreaterThanOrEqual(3);
    await shot(page, 'stop', '5-dashboard-running');
    await page.getByRole('button', { name: 'Stop' }).click();
    const result = page.getByTestId('result-card');
    await result.waitFor({ timeout: 90_000 });
    expect(await result.getAttribute('data-status')).toBe('cancelled');
    expect(await result.textContent()).toMatch(/checkpoint was saved/);
    await shot(page, 'stop', '6-cancelled');
    const runId = decodeURIComponent(new URL(page.url()).hash.replace('#/run/', ''));
    await go('#/runs');
    const row = page.locator(`tr[data-run="${runId}"]`);
    await row.getByRole('button', { expanded: false }).click();
    await expect.poll(() => page.locator('[data-testid=checkpoints] tr[data-checkpoint]').count()).toBeGreaterThanOrEqual(1);
    await shot(page, 'stop', '7-runs-list');

    // Resume keeps the story: the checkpoint's own Resume button (named after it) starts a run that
    // links its parent, draws the parent's curve first, and the list links both ways, at 800x600 too.
    const checkpointRow = page.locator('[data-testid=checkpoints] tr[data-checkpoint]').last();
    const checkpointName = await checkpointRow.getAttribute('data-checkpoint');
    await checkpointRow.getByRole('button', { name: `Resume from ${checkpointName} of ${runId}` }).click();
    await page.getByTestId('resumed-from').waitFor({ timeout: 60_000 });
    const childId = decodeURIComponent(new URL(page.url()).hash.replace('#/run/', ''));
    await callApi(server, 'runs.stop', { runId: childId });
    expect(await page.getByTestId('resumed-from').getByRole('link').textContent()).toBe(runId);
    await expect.poll(() => chart('Loss').getAttribute('data-first-x'), { timeout: 60_000 }).toBe('1'); // the parent's first step
    await page.setViewportSize({ width: 800, height: 600 });
    await go('#/runs');
    await page.locator(`tr[data-run="${childId}"] [data-testid=run-lineage]`).waitFor();
    expect(await page.locator(`tr[data-run="${runId}"] [data-testid=run-lineage]`).textContent()).toContain(`resumed as ${childId}`);
    // Nothing hidden to the right: the page is no wider than the window.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(800);
    await shot(page, 'stop', '8-runs-800x600');
    expect((await page.request.get(`${server.base}/favicon.svg`)).status()).toBe(200);
    await page.setViewportSize({ width: 1280, height: 800 });
  }, 240_000);

  it('(a) the one-click demo: charts fill, the run completes, its checkpoint is listed, an export is verified', async () => {
    // The first screen, exactly as a newcomer sees it: one click makes the demo model (in this
    // server's fresh data folder) and starts the demo-cpu preset; nothing else is chosen.
    await go('#/');
    await page.reload();
    await shot(page, 'demo-end-to-end', '1-home');
    await page.getByRole('button', { name: 'Try the demo' }).first().click();
    await page.getByTestId('run-dashboard').waitFor({ timeout: 300_000 });
    await expect.poll(() => rawPoints('Loss'), { timeout: 180_000, interval: 500 }).toBeGreaterThanOrEqual(3);
    await shot(page, 'demo-end-to-end', '2-dashboard-live');
    const result = page.getByTestId('result-card');
    await result.waitFor({ timeout: 480_000 });
    expect(await result.getAttribute('data-status')).toBe('completed');
    // The preset: 300 steps, the loss reported every 10 (the trainer's default): 30 points per chart.
    expect(await rawPoints('Loss')).toBe(30);
    for (const title of ['Learning rate', 'Gradient norm', 'Tokens per second']) expect(await rawPoints(title)).toBe(30);
    await shot(page, 'demo-end-to-end', '3-completed');
    const runId = decodeURIComponent(new URL(page.url()).hash.replace('#/run/', ''));

    await go('#/runs');
    const row = page.locator(`tr[data-run="${runId}"]`);
    expect(await row.locator('.badge').textContent()).toBe('completed');
    await row.getByRole('button', { expanded: false }).click();
    await page.locator('[data-testid=checkpoints] tr[data-checkpoint="step-000300"]').waitFor();
    await shot(page, 'demo-end-to-end', '4-runs-checkpoints');

    await page.locator('[data-testid=checkpoints] tr[data-checkpoint="step-000300"]').getByRole('button', { name: 'Export' }).click();
    await page.getByRole('button', { name: 'Export', exact: true }).click();
    const progress = page.locator('[data-testid=export-progress]');
    await progress.waitFor();
    await expect.poll(() => progress.getAttribute('data-status'), { timeout: 240_000, interval: 500 }).not.toBe('running');
    expect(await progress.getAttribute('data-status')).toBe('completed');
    expect(await page.getByTestId('verification').getAttribute('data-passed')).toBe('true');
    await page.getByTestId('exports-table').waitFor();
    await shot(page, 'demo-end-to-end', '5-export-verified');
  }, 600_000); // the whole demo (300 steps) and an export, on a 2-core machine beside other tests

  it('(d) a reload mid-run re-attaches the dashboard and the curve continues', async () => {
    // Browser mode reads only folders the user chose: choose the model folder as the page would.
    await callApi(server, 'system.pickPath', { kind: 'directory', purpose: 'model', typedPath: model });
    const started = await callApi<{ summary: { runId: string } }>(server, 'runs.start', {
      config: {
        train_type: 'lora',
        lora_dim: 4,
        learning_rate: 0.002,
        max_len: 48,
        max_src_len: 24,
        per_device_train_batch_size: 4,
        num_train_epochs: 1,
        max_steps: 2000,
        show_loss_step: 1,
        save_model_step: 1000,
        device: 'cpu',
        train_path: DEMO_DATA,
        model_name_or_path: model,
      },
    });
    const runId = started.summary.runId;
    try {
      await go(`#/run/${runId}`);
      await expect.poll(() => rawPoints('Loss'), { timeout: 180_000, interval: 500 }).toBeGreaterThanOrEqual(3);
      const before = await rawPoints('Loss');
      const firstBefore = await chart('Loss').getAttribute('data-first-x');
      await shot(page, 'reload', '1-before-reload');
      await page.reload();
      await page.getByTestId('run-dashboard').waitFor();
      // Re-attached: the whole history is back at once, then new points keep arriving.
      await expect.poll(() => rawPoints('Loss'), { timeout: 60_000, interval: 250 }).toBeGreaterThanOrEqual(before);
      const afterReload = await rawPoints('Loss');
      await expect.poll(() => rawPoints('Loss'), { timeout: 120_000, interval: 500 }).toBeGreaterThan(afterReload);
      expect(await chart('Loss').getAttribute('data-first-x')).toBe(firstBefore);
      // One point per step, none missing and none twice: the curve continues, it does not restart.
      // Read in one go: a point arriving between separate reads would look like a gap or a duplicate.
      const [first, last, points] = await chart('Loss').evaluate((el) =>
        ['data-first-x', 'data-last-x', 'data-raw-points'].map((a) => Number(el.getAttribute(a))),
      );
      expect(last! - first! + 1).toBe(points);
      await shot(page, 'reload', '2-after-reload');
    } finally {
      await callApi(server, 'runs.stop', { runId });
    }
  });
});
