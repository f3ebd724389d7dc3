#!/usr/bin/env node
// `npm install` (postinstall): try to download the Electron binary, and never fail the install when
// that is impossible. package.json's allowScripts denies electron's own postinstall, which exits 1
// with `getaddrinfo ENOTFOUND github.com` wherever GitHub downloads are blocked and so stopped the
// whole install before the trainer environment was made. Without the binary, `npm start` opens
// browser mode and says how to get the window later.
// Plain Node with no dependencies of its own (it runs while node_modules is being completed).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const appRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const installer = join(appRoot, 'node_modules', 'electron', 'install.js');
/** A blocked network fails in a second; a slow one must not hold the install for long either. */
const LIMIT_MS = Number(process.env.TUNEDESK_ELECTRON_DOWNLOAD_TIMEOUT_S ?? 300) * 1000;
export const HOW_TO_GET_THE_WINDOW =
  'The desktop window needs it: run `node node_modules/electron/install.js` where GitHub is reachable, ' +
  'or set ELECTRON_MIRROR to a mirror of the Electron releases and run it there. ' +
  'Until then `npm start` opens TuneDesk in your browser.';

function say(line) {
  console.log(`[tunedesk] ${line}`);
}

function main() {
  if (process.env.ELECTRON_SKIP_BINARY_DOWNLOAD) return Promise.resolve();
  if (!existsSync(installer)) return Promise.resolve(); // electron not installed (e.g. --omit=dev)
  say('downloading the Electron binary for the desktop window (optional)');
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [installer], { cwd: join(appRoot, 'node_modules', 'electron'), stdio: ['ignore', 'inherit', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    const timer = setTimeout(() => {
      stderr += `\nno download after ${LIMIT_MS / 1000} s`;
      child.kill('SIGTERM');
    }, LIMIT_MS);
    const finish = (ok, why) => {
      clearTimeout(timer);
      if (ok) say('Electron binary installed');
      else say(`the Electron binary could not be downloaded (${why}). ${HOW_TO_GET_THE_WINDOW}`);
      resolve();
    };
    child.on('error', (error) => finish(false, error.message));
    child.on('exit', (code, signal) => finish(code === 0, firstReason(stderr) || `exit ${signal ?? code}`));
  });
}

/** The line of electron's stack trace that says what went wrong (e.g. "getaddrinfo ENOTFOUND github.com"). */
function firstReason(stderr) {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const error = lines.find((l) => /^(Request)?Error\b|ENOTFOUND|ECONN|ETIMEDOUT|EAI_AGAIN|no download after/.test(l)) ?? lines[0] ?? '';
  return error.slice(0, 300);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
