// Starts `npm run web` (the browser-mode server, from source) for a browser test: a temp runs
// folder, the URL + token read from its first line, stopped (by its pid) at the end.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const REPO = join(import.meta.dirname, '..', '..');

export interface WebServer {
  url: string;
  base: string;
  token: string;
  runsDir: string;
  /** Everything the server printed, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/** `env` is added to the server's environment (the Hub tests point HF_ENDPOINT at a local fake). */
export async function startWebServer(env: NodeJS.ProcessEnv = {}): Promise<WebServer> {
  const runsDir = mkdtempSync(join(tmpdir(), 'tunedesk-e2e-runs-'));
  const dataDir = mkdtempSync(join(tmpdir(), 'tunedesk-e2e-data-'));
  const child: ChildProcess = spawn(process.execPath, ['electron/server/bin.mjs', '--runs-dir', runsDir, '--data-dir', dataDir], {
    cwd: REPO,
    env: { ...process.env, TUNEDESK_RUNS_DIR: runsDir, HF_HUB_OFFLINE: '1', TRANSFORMERS_OFFLINE: '1', TOKENIZERS_PARALLELISM: 'false', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const lines = createInterface({ input: child.stdout! });
  const first = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm run web printed no URL within 240 s:\n${log}`)), 240_000);
    lines.once('line', (line) => {
      clearTimeout(timer);
      resolve(line);
    });
    child.once('exit', (code) => reject(new Error(`the web server exited (${code}) before printing its URL:\n${log}`)));
  });
  lines.on('line', (l) => (log += `${l}\n`));
  const url = /https?:\/\/\S+/.exec(first)?.[0];
  if (!url) throw new Error(`first line of npm run web has no URL: ${first}`);
  const parsed = new URL(url);
  return {
    url,
    base: parsed.origin,
    token: parsed.searchParams.get('token') ?? '',
    runsDir,
    output: () => log,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      rmSync(runsDir, { recursive: true, force: true });
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Calls the API the way the page does (POST /api/<name> with the token header). */
export async function callApi<T = unknown>(server: WebServer, name: string, request: unknown): Promise<T> {
  const res = await fetch(`${server.base}/api/${name}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-tunedesk-token': server.token },
    body: JSON.stringify(request),
  });
  const body = (await res.json()) as { ok: boolean; value?: T; error?: { message: string } };
  if (!body.ok) throw new Error(`${name}: ${body.error?.message}`);
  return body.value as T;
}
