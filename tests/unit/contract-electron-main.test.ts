// The BUILT Electron main process (dist/electron/main.cjs), run in plain Node under a stand-in
// `electron` module: it must load (no ESM-only leftovers in the CommonJS bundle), sandbox every
// renderer, create its window with the locked-down preferences, answer IPC only from its own
// window with validated payloads, and serve app:// with the CSP and without traversal.
// (tests/e2e/electron-smoke.test.ts does the same with the real Electron where it is installed.)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const appRoot = join(__dirname, '..', '..');
let dataDir: string;
let report: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

beforeAll(async () => {
  await import(join(appRoot, 'electron', 'main', 'build.mjs'));
  dataDir = mkdtempSync(join(tmpdir(), 'tunedesk-main-'));
  const out = execFileSync(process.execPath, [join(appRoot, 'tests', 'fixtures', 'host', 'fake-electron-run.cjs'), join(appRoot, 'dist', 'electron', 'main.cjs'), dataDir], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  report = JSON.parse(out.trim().split('\n').at(-1)!);
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('the built Electron main process', () => {
  it('sandboxes every renderer and keeps its profile in the data folder', () => {
    expect(report.seen.sandbox).toBe(true);
    expect(report.seen.userData).toBe(join(dataDir, 'electron'));
    expect(report.seen.permissionAsked).toBe(false);
    expect(report.seen.schemes).toEqual([{ scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
  });

  it('creates one window: isolated, sandboxed, no Node, web security on, our preload, our page', () => {
    expect(report.seen.windows).toHaveLength(1);
    const prefs = report.seen.windows[0].webPreferences;
    expect(prefs).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, webviewTag: false });
    expect(prefs.preload).toBe(join(appRoot, 'dist', 'electron', 'preload.cjs'));
    expect(report.seen.loaded).toBe('app://tunedesk/index.html');
    expect(report.seen.channels).toEqual(expect.arrayContaining(['tunedesk:invoke', 'tunedesk:subscribe', 'tunedesk:unsubscribe']));
  });

  it('answers its own window, validates payloads and refuses other senders', () => {
    expect(report.info).toMatchObject({ ok: true, value: { mode: 'electron', dataDir, runsRoot: join(dataDir, 'runs') } });
    expect(report.extra).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    expect(report.huge).toMatchObject({ ok: false, error: { code: 'too_large' } });
    expect(report.foreign).toMatchObject({ ok: false, error: { code: 'forbidden' } });
  });

  it('serves app:// with the CSP, refuses traversal and other hosts', () => {
    expect([200, 503]).toContain(report.page.status); // 503 until the renderer is built
    if (report.page.status === 200) expect(report.page.csp).toMatch(/default-src 'self'/);
    expect(report.traversal).toBe(400);
    expect(report.normalised).toBe(404); // resolved to /package.json inside dist/renderer: not there
    expect(report.otherHost).toBe(404);
  });
});
