// `npm start`: builds what is stale, then opens the desktop app. Where Electron cannot start (its
// binary was never downloaded, there is no display, a system library is missing) it says why and
// starts browser mode instead, printing the URL to open.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureRenderer } from '../server/renderer-build';

const appRoot = fileURLToPath(new URL('../..', import.meta.url));

/** Why Electron cannot start here, or null when it should. */
export function electronUnavailable(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  // In plain Node, the electron package exports the path of its binary; it throws when the
  // binary was never downloaded (e.g. ELECTRON_SKIP_BINARY_DOWNLOAD=1).
  resolveBinary: () => string = () => createRequire(import.meta.url)('electron') as string,
): { reason: string; binary?: string } | { reason: null; binary: string } {
  let binary: string;
  try {
    binary = resolveBinary();
  } catch (error) {
    return {
      reason:
        `the Electron binary is not installed (${(error as Error).message.split('\n')[0]}). ` +
        'To get the window, run `node node_modules/electron/install.js` (or `npm run setup:electron`) where GitHub is ' +
        'reachable, or set ELECTRON_MIRROR to a mirror of the Electron releases before it; then `npm start` again.',
    };
  }
  if (typeof binary !== 'string' || !existsSync(binary)) return { reason: `the Electron binary is missing (${String(binary)}).` };
  if (platform === 'linux' && !env.DISPLAY && !env.WAYLAND_DISPLAY) {
    return { reason: 'there is no display (neither DISPLAY nor WAYLAND_DISPLAY is set), e.g. an SSH session or a server.', binary };
  }
  return { reason: null, binary };
}

async function buildIfStale(): Promise<void> {
  await ensureRenderer(appRoot, (line) => console.log(line));
  // The host bundles take a second with esbuild: always rebuild them, so they never go stale.
  await import(join(appRoot, 'electron', 'main', 'build.mjs'));
}

/** Runs Electron; resolves to its exit code, or to a reason when it died on start-up. */
function runElectron(binary: string, args: string[]): Promise<{ code: number } | { reason: string }> {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(binary, [appRoot, ...args], { stdio: ['ignore', 'inherit', 'pipe'], env: { ...process.env, ELECTRON_RUN_AS_NODE: undefined } });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
      process.stderr.write(chunk);
    });
    child.on('error', (error) => resolve({ reason: `Electron could not be run: ${error.message}` }));
    child.on('exit', (code, signal) => {
      // Dying within seconds with an error is a start-up failure (missing libraries, no GPU/display access).
      if ((code ?? 1) !== 0 && Date.now() - started < 8000) {
        const last = stderr.trim().split('\n').slice(-3).join(' | ');
        resolve({ reason: `Electron stopped on start-up (${signal ?? `exit code ${code}`}${last ? `: ${last}` : ''}).` });
      } else resolve({ code: code ?? 0 });
    });
  });
}

async function startBrowserMode(reason: string, args: string[]): Promise<void> {
  console.log(`TuneDesk cannot open its desktop window: ${reason}`);
  console.log('Starting browser mode instead (the same app in your browser; `npm run web` does this directly):');
  process.argv = [process.argv[0]!, process.argv[1]!, '--no-build', ...args];
  await import('../server/main');
}

export async function main(): Promise<void> {
  const args = process.argv.slice(2);
  await buildIfStale();
  const electron = electronUnavailable();
  if (electron.reason !== null) return startBrowserMode(electron.reason, args);
  const result = await runElectron(electron.binary, args);
  if ('reason' in result) return startBrowserMode(result.reason, args);
  process.exitCode = result.code;
}

