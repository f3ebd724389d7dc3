// The renderer's real API client (renderer/src/api) in Chromium against the real server: typed
// calls, error objects, and topics over one event stream that is swapped without losing events.
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiContext, type ApiContext } from '../../electron/api/context';
import { startServer, type RunningServer } from '../../electron/server/server';
import { chromiumMissing, openChromium, type OpenBrowser } from '../helpers/chromium';

const missing = chromiumMissing();
if (missing) console.warn(`skipping the browser client test: ${missing}`);

type Probe = { info: unknown; error: unknown; setup: string[]; runs: number; ready: boolean };

describe.skipIf(missing !== null)('the renderer API client in Chromium', () => {
  let base: string;
  let ctx: ApiContext;
  let server: RunningServer;
  let browser: OpenBrowser;

  beforeAll(async () => {
    base = realpathSync(mkdtempSync(join(tmpdir(), 'tunedesk-client-')));
    const dir = join(base, 'renderer');
    mkdirSync(join(dir, 'assets'), { recursive: true });
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>client</title><script type="module" src="./assets/probe.js"></script>');
    await build({ entryPoints: [join(__dirname, '..', 'fixtures', 'host', 'client-probe.ts')], bundle: true, format: 'esm', outfile: join(dir, 'assets', 'probe.js'), logLevel: 'warning' });
    ctx = createApiContext({ mode: 'browser', appRoot: join(__dirname, '..', '..'), runsRoot: join(base, 'runs'), dataDir: join(base, 'data'), version: '1.2.3' });
    server = await startServer({ ctx, rendererDir: dir });
    browser = await openChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await ctx?.shutdown();
    rmSync(base, { recursive: true, force: true });
  });

  const probe = () => browser.page.evaluate(() => (window as unknown as { probe: Probe }).probe);

  it('calls, reports errors as ApiCallError and receives every event across a stream swap', async () => {
    await browser.page.goto(server.url);
    await browser.page.waitForFunction(() => (window as unknown as { probe?: Probe }).probe?.ready === true);
    const first = await probe();
    expect(first.info).toMatchObject({ name: 'TuneDesk', mode: 'browser', version: '1.2.3' });
    expect(first.error).toMatchObject({ code: 'path_refused', field: 'typedPath' });
    // Wait until the server holds the final stream (both topics), then publish.
    await expect.poll(() => ctx.events.subscriberCount('runs.update'), { timeout: 10_000 }).toBe(1);
    await expect.poll(() => ctx.events.subscriberCount('system.setupProgress'), { timeout: 10_000 }).toBe(1);
    for (const text of ['a', 'b', 'c']) ctx.events.publish('system.setupProgress', { line: text, stream: 'stdout', done: false });
    await expect.poll(async () => (await probe()).setup, { timeout: 10_000 }).toEqual(['a', 'b', 'c']);
    // A reload keeps working: the token is remembered for the tab.
    await browser.page.evaluate(() => history.replaceState(null, '', '/'));
    await browser.page.reload();
    await browser.page.waitForFunction(() => (window as unknown as { probe?: Probe }).probe?.ready === true);
    expect((await probe()).info).toMatchObject({ mode: 'browser' });
  });
});
