// `npm run web` as a user runs it: its FIRST stdout line is the URL with the token, it answers on
// that URL only with the token, and Ctrl+C (SIGINT) ends it cleanly.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';

const appRoot = join(__dirname, '..', '..');
const dataDir = mkdtempSync(join(tmpdir(), 'tunedesk-web-'));
let child: ChildProcess | undefined;
afterAll(() => {
  child?.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

describe('npm run web', () => {
  it('prints the URL first, serves it with the token only, and stops on SIGINT', async () => {
    child = spawn(process.execPath, [join(appRoot, 'electron', 'server', 'bin.mjs'), '--no-build', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines = createInterface({ input: child.stdout! });
    const first = await new Promise<string>((resolve, reject) => {
      lines.once('line', resolve);
      child!.once('exit', (code) => reject(new Error(`exited ${code} before printing`)));
    });
    const match = /^TuneDesk is running at (http:\/\/127\.0\.0\.1:(\d+)\/\?token=([\w-]{40,}))$/.exec(first);
    expect(match, first).not.toBeNull();
    const [, , port, token] = match!;
    const call = (headers: Record<string, string>) =>
      fetch(`http://127.0.0.1:${port}/api/app.info`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{}' });
    expect((await call({})).status).toBe(401);
    const ok = await call({ 'x-tunedesk-token': token! });
    expect(await ok.json()).toMatchObject({ ok: true, value: { mode: 'browser', dataDir, runsRoot: join(dataDir, 'runs') } });
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  });
});
