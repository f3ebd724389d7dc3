// The desktop app, launched for real with Playwright's _electron and a fresh data folder: every
// window is isolated, sandboxed and without Node; the page sees only the typed bridge; window.open
// and navigation away are refused. Runs wherever the Electron binary is installed (a virtual X
// display is started when there is none); elsewhere it prints why it is skipped.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { _electron, type ElectronApplication, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { electronUnavailable } from '../../electron/main/launch';
import { buildRenderer, rendererIsStale } from '../../electron/server/renderer-build';
import { withSkipReason } from '../helpers/known-skips';

const appRoot = join(__dirname, '..', '..');

function skipReason(): string | null {
  const electron = electronUnavailable({ ...process.env, DISPLAY: process.env.DISPLAY ?? ':virtual' });
  if (electron.reason) return electron.reason;
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY && spawnSync('which', ['Xvfb']).status !== 0) {
    return 'there is no display and no Xvfb to make one (apt-get install -y xvfb, or run under xvfb-run)';
  }
  return null;
}

const reason = skipReason();
if (reason) console.warn(`Electron smoke test skipped: ${reason}`);

/** Starts Xvfb on a free display number; resolves to ":N". */
function startXvfb(): Promise<{ display: string; process: ChildProcess }> {
  return new Promise((resolve, reject) => {
    const xvfb = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', '1280x800x24', '-nolisten', 'tcp'], { stdio: ['ignore', 'ignore', 'ignore', 'pipe'] });
    xvfb.on('error', reject);
    (xvfb.stdio[3] as NodeJS.ReadableStream).once('data', (d: Buffer) => resolve({ display: `:${d.toString().trim()}`, process: xvfb }));
  });
}

describe.skipIf(reason !== null)(withSkipReason('the desktop app (Electron)', reason), () => {
  let app: ElectronApplication;
  let page: Page;
  let dataDir: string;
  let xvfb: ChildProcess | undefined;

  beforeAll(async () => {
    if (rendererIsStale(appRoot)) await buildRenderer(appRoot);
    await import(join(appRoot, 'electron', 'main', 'build.mjs'));
    dataDir = mkdtempSync(join(tmpdir(), 'tunedesk-electron-'));
    const env = { ...process.env } as Record<string, string>;
    delete env.ELECTRON_RUN_AS_NODE;
    if (process.platform === 'linux' && !env.DISPLAY && !env.WAYLAND_DISPLAY) {
      const started = await startXvfb();
      xvfb = started.process;
      env.DISPLAY = started.display;
    }
    const executablePath = (electronUnavailable(env) as { binary: string }).binary;
    const args = [appRoot, '--data-dir', dataDir, '--runs-dir', join(dataDir, 'runs')];
    if (process.platform === 'linux' && process.getuid?.() === 0) args.unshift('--no-sandbox'); // Chromium refuses root otherwise
    app = await _electron.launch({ executablePath, args, env, timeout: 60_000 });
    page = await app.firstWindow();
    await page.waitForLoadState('domcontentloaded');
  });

  afterAll(async () => {
    await app?.close().catch(() => {});
    xvfb?.kill();
    if (dataDir && existsSync(dataDir)) rmSync(dataDir, { recursive: true, force: true });
  });

  it('gives every window contextIsolation, sandbox and no Node integration', async () => {
    const prefs = await app.evaluate(({ BrowserWindow }) =>
      BrowserWindow.getAllWindows().map((w) => {
        // Electron keeps the effective preferences behind getLastWebPreferences (public in older
        // releases, internal-facing in newer ones): read whichever exists, never guess.
        const contents = w.webContents as unknown as Record<string, (() => Record<string, unknown> | null) | undefined>;
        const read = contents.getLastWebPreferences ?? contents._getLastWebPreferences;
        const p = read ? (read.call(w.webContents) ?? {}) : null;
        if (!p) return { unreadable: true };
        return { contextIsolation: p.contextIsolation, sandbox: p.sandbox, nodeIntegration: p.nodeIntegration, webSecurity: p.webSecurity };
      }),
    );
    expect(prefs.length).toBeGreaterThan(0);
    for (const p of prefs) expect(p).toEqual({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true });
  });

  it('shows the page only the typed bridge: no require, no process, no ipcRenderer', async () => {
    const seen = await page.evaluate(() => ({
      require: typeof (window as unknown as { require?: unknown }).require,
      process: typeof (window as unknown as { process?: unknown }).process,
      bridge: Object.keys((window as unknown as { tunedesk: object }).tunedesk).sort(),
      origin: location.origin,
    }));
    expect(seen).toEqual({ require: 'undefined', process: 'undefined', bridge: ['invoke', 'subscribe'], origin: 'app://tunedesk' });
    const info = await page.evaluate(() => (window as unknown as { tunedesk: { invoke(n: string, r: unknown): Promise<unknown> } }).tunedesk.invoke('app.info', {}));
    expect(info).toMatchObject({ ok: true, value: { mode: 'electron', dataDir } });
    const invalid = await page.evaluate(() => (window as unknown as { tunedesk: { invoke(n: string, r: unknown): Promise<unknown> } }).tunedesk.invoke('app.info', { extra: 1 }));
    expect(invalid).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
  });

  it('refuses window.open and navigation away', async () => {
    const before = (await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().length)) as number;
    const opened = await page.evaluate(() => window.open('https://example.com/', '_blank') === null);
    expect(opened).toBe(true);
    await page.evaluate(() => {
      location.href = 'https://example.com/';
    });
    await page.waitForTimeout(500);
    expect(page.url()).toMatch(/^app:\/\/tunedesk\//);
    expect(await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().length)).toBe(before);
  });
});
