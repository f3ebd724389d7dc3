// The wizard's "Download from the Hub" in Debian's Chromium against `npm run web` and a local fake
// of the Hub (python-runtime/tests/helpers/fake_hub.py): the curated list with sizes and what fits, a
// download by repo id with progress, the folder chosen and inspected when it is complete, and a
// gated repo's token request. Screenshots go to tests/artifacts/hub-ui/.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUNTIME_DIR, trainerPythonPath } from '../../electron/services/python-env/trainer-python';
import { chromiumMissing, openChromium, shot, type OpenBrowser } from '../helpers/chromium';
import { startWebServer, type WebServer } from '../helpers/web-server';

const missing = chromiumMissing();

describe.skipIf(missing !== null)('Download from the Hub, in the browser', () => {
  let hub: ChildProcess;
  let server: WebServer;
  let browser: OpenBrowser;
  let page: Page;

  beforeAll(async () => {
    hub = spawn(trainerPythonPath(), [join(RUNTIME_DIR, 'tests', 'helpers', 'fake_hub.py')], { stdio: ['ignore', 'pipe', 'inherit'] });
    const port = await new Promise<number>((resolve) => createInterface({ input: hub.stdout! }).once('line', (l) => resolve((JSON.parse(l) as { port: number }).port)));
    server = await startWebServer({ HF_ENDPOINT: `http://127.0.0.1:${port}`, HF_HUB_OFFLINE: '', TRANSFORMERS_OFFLINE: '', HF_TOKEN: '' });
    browser = await openChromium({ width: 1280, height: 1400 });
    page = browser.page;
    page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    hub?.kill('SIGTERM');
  });

  it('downloads a repo with progress, chooses it, and asks for a token for a gated one', async () => {
    await page.goto(`${server.url}#/wizard`);
    const catalog = page.getByTestId('hub-catalog');
    await catalog.waitFor({ timeout: 60_000 });
    const listed = await catalog.textContent();
    expect(listed).toContain('Qwen2.5 0.5B Instruct');
    expect(listed).toContain('ChatGLM3 6B');
    await shot(page, 'hub-ui', '1-catalog');

    await page.getByLabel('Repo id').fill('tiny/big');
    await page.getByRole('button', { name: 'Download', exact: true }).last().click();
    const progress = page.getByTestId('hub-progress');
    await progress.waitFor({ timeout: 30_000 });
    expect(await progress.textContent()).toContain('tiny/big');
    await shot(page, 'hub-ui', '2-progress');
    // Complete: the folder is chosen and inspected (the weights hold 6.3M uint8 "parameters").
    await page.getByTestId('model-card').waitFor({ timeout: 90_000 });
    expect(await page.getByTestId('model-card').textContent()).toContain('6.3M');
    expect(await page.getByLabel('Model folder').inputValue()).toMatch(/models\/tiny--big$/);

    await page.getByLabel('Repo id').fill('tiny/gated');
    await page.getByRole('button', { name: 'Download', exact: true }).last().click();
    const refusal = page.getByText('tiny/gated was not downloaded');
    await refusal.waitFor({ timeout: 30_000 });
    expect(await page.getByRole('alert').filter({ hasText: 'gated model' }).textContent()).toContain('token');
    await page.getByText('Access token and Hub endpoint').click();
    expect(await page.getByTestId('hub-settings').textContent()).toContain('memory only');
    await shot(page, 'hub-ui', '3-gated');
  }, 240_000);
});
