// The renderer is served from app://tunedesk/ (a privileged, standard, secure scheme) instead of
// file://, so it has a real origin for 'self' in the CSP and cannot read arbitrary local files.
// Files come only from dist/renderer; traversal and symlinks out are refused.
import { readFile, realpath, stat } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { protocol } from 'electron';
import { isWithin } from '../services/paths/path-guard';
import { SECURITY_HEADERS } from '../shared/security';

export const APP_SCHEME = 'app';
export const APP_ORIGIN = `${APP_SCHEME}://tunedesk`;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

/** Must run before app 'ready'. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
}

export function serveRenderer(rendererDir: string): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url);
    if (url.host !== 'tunedesk') return new Response('Not found', { status: 404 });
    const decoded = decodeURIComponent(url.pathname);
    if (decoded.split('/').includes('..') || decoded.includes('\\') || decoded.includes('\0')) return new Response('Bad path', { status: 400 });
    const wantsPage = decoded === '/' || decoded === '/index.html' || extname(decoded) === '';
    const root = await realpath(rendererDir).catch(() => null);
    // Before the build only the page says why it is missing (503 + the command); a file that was
    // asked for is simply not there (404), built or not, so a missing asset never reads as an outage.
    if (!root) {
      if (!wantsPage) return new Response('Not found', { status: 404 });
      return new Response(`The interface is not built: run npm run build (${rendererDir} is missing).`, { status: 503 });
    }
    try {
      const real = await realpath(wantsPage ? join(root, 'index.html') : resolve(root, `.${decoded}`));
      if (!isWithin(root, real) || !(await stat(real)).isFile()) return new Response('Not found', { status: 404 });
      const type = TYPES[extname(real).toLowerCase()] ?? 'application/octet-stream';
      return new Response(await readFile(real), { headers: { ...SECURITY_HEADERS, 'content-type': type } });
    } catch {
      return new Response('Not found', { status: 404 });
    }
  });
}
