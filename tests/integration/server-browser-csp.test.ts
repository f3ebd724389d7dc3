// The CSP, proven in a real browser: a page served by browser mode cannot eval, cannot run inline
// script, cannot connect to another origin, while its own bundled script and API calls work.
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiContext, type ApiContext } from '../../electron/api/context';
import { startServer, type RunningServer } from '../../electron/server/server';
import { chromiumMissing, openChromium, type OpenBrowser } from '../helpers/chromium';

const missing = chromiumMissing();
if (missing) console.warn(`skipping the browser CSP test: ${missing}`);

describe.skipIf(missing !== null)('browser mode CSP in Chromium', () => {
  let base: string;
  let ctx: ApiContext;
  let server: RunningServer;
  let browser: OpenBrowser;

  beforeAll(async () => {
    base = realpathSync(mkdtempSync(join(tmpdir(), 'tunedesk-csp-')));
    const dir = join(base, 'renderer');
    mkdirSync(join(dir, 'assets'), { recursive: true });
    writeFileSync(
      join(dir, 'index.html'),
      `<!doctype html><html><head><title>csp</title><script>window.inlineRan = true;</script>
       <script type="module" src="./assets/probe.js"></script></head><body></body></html>`,
    );
    writeFileSync(
      join(dir, 'assets', 'probe.js'),
      `const results = { bundled: true, inline: window.inlineRan === true };
       try { eval('1 + 1'); results.eval = true; } catch { results.eval = false; }
       try { new Function('return 1')(); results.fn = true; } catch { results.fn = false; }
       const token = new URLSearchParams(location.search).get('token');
       try {
         const r = await fetch('/api/app.info', { method: 'POST', headers: { 'content-type': 'application/json', 'x-tunedesk-token': token }, body: '{}' });
         results.api = (await r.json()).ok;
       } catch { results.api = false; }
       try { await fetch('http://example.invalid/'); results.foreign = true; } catch { results.foreign = false; }
       window.probe = results;`,
    );
    ctx = createApiContext({ mode: 'browser', appRoot: join(__dirname, '..', '..'), runsRoot: join(base, 'runs'), dataDir: join(base, 'data') });
    server = await startServer({ ctx, rendererDir: dir });
    browser = await openChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await ctx?.shutdown();
    rmSync(base, { recursive: true, force: true });
  });

  it('runs our bundle and API calls, and blocks eval, inline script and foreign connections', async () => {
    await browser.page.goto(server.url);
    const probe = await browser.page.waitForFunction(() => (window as unknown as { probe?: unknown }).probe).then((h) => h.jsonValue());
    expect(probe).toEqual({ bundled: true, inline: false, eval: false, fn: false, api: true, foreign: false });
  });
});
