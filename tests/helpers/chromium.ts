// Shared helpers for the browser tests and the chart benchmark: Debian's Chromium through
// playwright-core with a fresh profile, and screenshots into tests/artifacts/.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.TUNEDESK_CHROMIUM ?? '/usr/bin/chromium';
export const ARTIFACTS = join(import.meta.dirname, '..', 'artifacts');

/** Why the browser tests cannot run here, or null when they can. */
export function chromiumMissing(): string | null {
  return existsSync(CHROMIUM) ? null : `no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set TUNEDESK_CHROMIUM)`;
}

export interface OpenBrowser {
  browser: Browser | BrowserContext;
  page: Page;
  close(): Promise<void>;
}

/** Chromium headless with a fresh --user-data-dir, a 1280×800 window. */
export async function openChromium(viewport = { width: 1280, height: 800 }): Promise<OpenBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'tunedesk-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    browser: context,
    page,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Saves a full-page screenshot as tests/artifacts/<test>/<name>.png. */
export async function shot(page: Page, test: string, name: string): Promise<string> {
  const dir = join(ARTIFACTS, test);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
