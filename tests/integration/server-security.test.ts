// Browser mode's security, against a real server on a free port: the token, the bound address,
// the Host/Origin checks, strict payload validation, size limits, static files without traversal
// or listing, and the path guard on EVERY call of the contract that takes a path.
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { networkInterfaces, tmpdir } from 'node:os';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { calls } from '../../electron/shared/contract';
import { createApiContext, type ApiContext } from '../../electron/api/context';
import { pathFieldLocations } from '../../electron/api/path-fields';
import { MAX_STREAMS } from '../../electron/server/event-stream';
import { startServer, type RunningServer } from '../../electron/server/server';
import { SAMPLE_OVERRIDES, sampleFor } from '../helpers/contract-samples';

let base: string;
let ctx: ApiContext;
let server: RunningServer;
let origin: string;

beforeAll(async () => {
  base = realpathSync(mkdtempSync(join(tmpdir(), 'tunedesk-server-')));
  const renderer = join(base, 'renderer');
  mkdirSync(join(renderer, 'assets'), { recursive: true });
  writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>TuneDesk</title>');
  writeFileSync(join(renderer, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(join(base, 'secret.txt'), 'secret');
  symlinkSync(join(base, 'secret.txt'), join(renderer, 'assets', 'leak.js'));
  mkdirSync(join(base, 'runs'));
  mkdirSync(join(base, 'outside'));
  symlinkSync(join(base, 'outside'), join(base, 'runs', 'escape'));
  ctx = createApiContext({ mode: 'browser', appRoot: join(__dirname, '..', '..'), runsRoot: join(base, 'runs'), dataDir: join(base, 'data'), version: '9.9.9' });
  server = await startServer({ ctx, rendererDir: renderer, maxBodyBytes: 64 * 1024 });
  origin = `http://127.0.0.1:${server.port}`;
});
afterAll(async () => {
  await server.close();
  await ctx.shutdown();
  rmSync(base, { recursive: true, force: true });
});

const call = (name: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${origin}/api/${name}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-tunedesk-token': server.token, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

/** A raw request with a chosen Host header (fetch does not allow setting it). */
function rawGet(path: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: server.port, path, headers: { host, 'x-tunedesk-token': server.token } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the token', () => {
  it('is random per launch and long', async () => {
    expect(server.token.length).toBeGreaterThanOrEqual(40);
    const other = await startServer({ ctx, rendererDir: join(base, 'renderer') });
    expect(other.token).not.toBe(server.token);
    await other.close();
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${server.token}`);
  });

  it('is required on calls: missing or wrong → 401 with a clear message', async () => {
    const none = await fetch(`${origin}/api/app.info`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(none.status).toBe(401);
    expect((await none.json()).error.message).toMatch(/token/);
    expect((await call('app.info', {}, { 'x-tunedesk-token': 'wrong' })).status).toBe(401);
    expect((await call('app.info', {}, { 'x-tunedesk-token': `${server.token}x` })).status).toBe(401);
    // The URL token is not accepted for calls (only for pages and event streams).
    const viaQuery = await fetch(`${origin}/api/app.info?token=${server.token}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(viaQuery.status).toBe(401);
    const ok = await call('app.info', {});
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ ok: true, value: { name: 'TuneDesk', mode: 'browser', version: '9.9.9' } });
  });

  it('is required on pages, assets and event streams', async () => {
    expect((await fetch(`${origin}/`)).status).toBe(401);
    expect((await fetch(`${origin}/assets/app.js`)).status).toBe(401);
    expect((await fetch(`${origin}/?token=nope`)).status).toBe(401);
    expect((await fetch(`${origin}/api/events?topics=system.setupProgress`)).status).toBe(401);
    const page = await fetch(`${origin}/?token=${server.token}`);
    expect(page.status).toBe(200);
    const cookie = page.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    // The page's assets load with the cookie the page got...
    expect((await fetch(`${origin}/assets/app.js`, { headers: { cookie: cookie.split(';')[0]! } })).status).toBe(200);
    // ...but the cookie alone never authorises a call.
    const withCookie = await fetch(`${origin}/api/app.info`, { method: 'POST', headers: { 'content-type': 'application/json', cookie: cookie.split(';')[0]! }, body: '{}' });
    expect(withCookie.status).toBe(401);
  });
});

describe('the address', () => {
  it('is bound to 127.0.0.1 only', async () => {
    expect(server.address).toBe('127.0.0.1');
    expect(server.server.address()).toMatchObject({ address: '127.0.0.1', family: 'IPv4' });
    const external = Object.values(networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal);
    if (!external) {
      console.warn('no non-loopback IPv4 interface on this machine: the connection refusal check is skipped');
      return;
    }
    const reached = await fetch(`http://${external.address}:${server.port}/`).then(
      () => true,
      () => false,
    );
    expect(reached, `the server answered on ${external.address}`).toBe(false);
  });

  it('refuses foreign Host headers (DNS rebinding) and cross-origin calls', async () => {
    expect(await rawGet('/?token=' + server.token, `evil.example:${server.port}`)).toBe(403);
    expect(await rawGet('/?token=' + server.token, `127.0.0.1:${server.port}`)).toBe(200);
    const cross = await call('app.info', {}, { origin: 'http://evil.example' });
    expect(cross.status).toBe(403);
  });
});

describe('payload validation', () => {
  it('rejects extra keys, wrong types and missing fields with 400 naming the field', async () => {
    const extra = await call('app.info', { admin: true });
    expect(extra.status).toBe(400);
    expect((await extra.json()).error.message).toMatch(/admin/);
    const wrongType = await call('system.pickPath', { kind: 42, purpose: 'model' });
    expect(wrongType.status).toBe(400);
    expect(await wrongType.json()).toMatchObject({ ok: false, error: { code: 'invalid_request', field: 'kind' } });
    const missing = await call('system.pickPath', { purpose: 'model' });
    expect(missing.status).toBe(400);
    expect((await call('app.info', [])).status).toBe(400);
    expect((await call('app.info', 'null')).status).toBe(400);
  });

  it('rejects invalid JSON, other content types, unknown calls and GET calls', async () => {
    expect((await call('app.info', '{nope')).status).toBe(400);
    expect((await call('app.info', '{}', { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await call('admin.shell', {})).status).toBe(404);
    expect((await call('__proto__', {})).status).toBe(404);
    expect((await call('constructor', {})).status).toBe(404);
    expect((await fetch(`${origin}/api/app.info`, { headers: { 'x-tunedesk-token': server.token } })).status).toBe(405);
  });

  it('rejects huge payloads with 413', async () => {
    const huge = JSON.stringify({ kind: 'file', purpose: 'data', title: 'x'.repeat(200 * 1024) });
    const res = await call('system.pickPath', huge);
    expect(res.status).toBe(413);
    expect((await res.json()).error.code).toBe('too_large');
  });

  it('rejects strings over their declared limit', async () => {
    const res = await call('system.pickPath', { kind: 'file', purpose: 'data', title: 'x'.repeat(500) });
    expect(res.status).toBe(400);
  });

  it('accepts only https links for the system browser', async () => {
    for (const url of ['http://example.com', 'javascript:alert(1)', 'file:///etc/passwd']) {
      expect((await call('system.openExternal', { url })).status, url).toBe(400);
    }
    expect(await (await call('system.openExternal', { url: 'https://example.com/' })).json()).toEqual({ ok: true, value: { opened: false } });
  });
});

describe('static files', () => {
  const get = (path: string) => fetch(`${origin}${path}${path.includes('?') ? '&' : '?'}token=${server.token}`);

  it('serves the app with the strict CSP and no directory listing', async () => {
    const page = await get('/');
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    expect(page.headers.get('content-security-policy')).not.toMatch(/unsafe-eval/);
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    // A folder is never listed: extension-less paths are app routes and get index.html.
    for (const folder of ['/assets/', '/assets', '/assets/.']) {
      const text = await (await get(folder)).text();
      expect(text, folder).not.toContain('app.js');
    }
    expect(await (await get('/assets/')).text()).toContain('<title>TuneDesk');
    expect((await get('/assets/missing.js')).status).toBe(404);
  });

  it('sends text assets gzipped to browsers that accept it, identical once unpacked', async () => {
    const big = `console.log(${JSON.stringify('tunedesk '.repeat(2000))});`;
    writeFileSync(join(base, 'renderer', 'assets', 'big.js'), big);
    const raw = await new Promise<{ encoding?: string; body: Buffer }>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: server.port, path: `/assets/big.js?token=${server.token}`, headers: { 'accept-encoding': 'gzip' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ encoding: res.headers['content-encoding'], body: Buffer.concat(chunks) }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(raw.encoding).toBe('gzip');
    expect(raw.body.length).toBeLessThan(big.length / 10);
    expect(gunzipSync(raw.body).toString()).toBe(big);
  });

  it('refuses traversal, encoded traversal and symlinks out of the build folder', async () => {
    for (const path of ['/../secret.txt', '/assets/%2e%2e/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt', '/assets/%5c..%5csecret.txt', '/assets/leak.js']) {
      const res = await get(path);
      expect([400, 404], path).toContain(res.status);
      expect(await res.text(), path).not.toContain('secret');
    }
  });
});

describe('events', () => {
  it('streams a published event to a subscriber and refuses unknown topics', async () => {
    expect((await fetch(`${origin}/api/events?topics=nope&token=${server.token}`)).status).toBe(400);
    const controller = new AbortController();
    const res = await fetch(`${origin}/api/events?topics=system.setupProgress&token=${server.token}`, { signal: controller.signal });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = res.body!.getReader();
    let text = '';
    const readUntil = async (needle: string) => {
      while (!text.includes(needle)) text += new TextDecoder().decode((await reader.read()).value);
    };
    await readUntil('event: ready');
    ctx.events.publish('system.setupProgress', { line: 'hello', stream: 'stdout', done: false });
    await readUntil('hello');
    expect(text).toContain('event: system.setupProgress\ndata: {"line":"hello","stream":"stdout","done":false}');
    controller.abort();
  });
});

describe('event stream limit', () => {
  it('refuses streams beyond the limit and frees a slot when one closes', async () => {
    const open: AbortController[] = [];
    // The responses are kept referenced: fetch cancels the body of a response that is garbage
    // collected, which closes its stream and frees a slot the test counts as taken.
    const responses: Response[] = [];
    const url = `${origin}/api/events?topics=system.setupProgress&token=${server.token}`;
    try {
      for (let i = 0; i < MAX_STREAMS; i++) {
        const controller = new AbortController();
        const res = await fetch(url, { signal: controller.signal });
        expect(res.status).toBe(200);
        open.push(controller);
        responses.push(res);
      }
      const refused = await fetch(url);
      expect(refused.status).toBe(503);
      expect((await refused.json()).error.code).toBe('too_many_streams');
      open.pop()!.abort();
      await expect.poll(async () => {
        const res = await fetch(url);
        const ok = res.status === 200;
        await res.body?.cancel();
        return ok;
      }).toBe(true);
    } finally {
      for (const controller of open) controller.abort();
      responses.length = 0;
    }
  });
});

describe('every call that takes a path', () => {
  const pathCalls = Object.entries(calls).filter(([, spec]) => pathFieldLocations(spec.request).length > 0);

  it('is found by enumerating the contract', () => {
    console.info(`path-taking calls: ${pathCalls.map(([n]) => n).join(', ') || '(none yet)'}`);
    for (const [name] of pathCalls) expect(Object.hasOwn(calls, name)).toBe(true);
  });

  for (const [name, spec] of pathCalls) {
    const attacks = (): [string, string][] => [
      ['outside every allowed folder', join(base, 'outside')],
      ['system file', '/etc/passwd'],
      ['.. traversal from the runs root', `${join(base, 'runs')}/../outside`],
      ['symlink out of the runs root', join(base, 'runs', 'escape')],
      ['under a symlink out of the runs root', join(base, 'runs', 'escape', 'new-output')],
      ['relative path', '../outside'],
    ];
    it(`${name} refuses every escape in ${pathFieldLocations(spec.request).map((l) => l.field).join(', ')}`, async () => {
      for (const [what, attack] of attacks()) {
        const request = SAMPLE_OVERRIDES[name] ?? sampleFor(spec.request, attack);
        const res = await call(name, request);
        const body = await res.json();
        expect(res.status, `${name} with a path ${what}: ${JSON.stringify(body)}`).toBe(403);
        expect(body.error.code).toBe('path_refused');
      }
    });
  }
});

describe('a path inside an allowed folder', () => {
  it('passes the guard and reaches the handler (models.inspect answers about the folder itself)', async () => {
    mkdirSync(join(base, 'runs', 'not-a-model'), { recursive: true });
    const res = await call('models.inspect', { dir: join(base, 'runs', 'not-a-model') });
    const body = await res.json();
    expect(body.error.code, JSON.stringify(body)).toBe('model_dir');
    expect(body.error.message).toMatch(/config\.json/);
  });
});

describe('system.pickPath in browser mode', () => {
  it('needs a typed path, refuses system folders, and allows what it accepts', async () => {
    expect((await call('system.pickPath', { kind: 'directory', purpose: 'model' })).status).toBe(400);
    expect((await call('system.pickPath', { kind: 'directory', purpose: 'model', typedPath: '/etc' })).status).toBe(403);
    expect((await call('system.pickPath', { kind: 'directory', purpose: 'model', typedPath: join(base, 'missing') })).status).toBe(403);
    const picked = await call('system.pickPath', { kind: 'directory', purpose: 'model', typedPath: join(base, 'outside') });
    expect(await picked.json()).toEqual({ ok: true, value: { path: join(base, 'outside') } });
    const roots = await (await call('system.allowedRoots', {})).json();
    expect(roots.value.roots.map((r: { path: string }) => r.path)).toContain(join(base, 'outside'));
  });
});
