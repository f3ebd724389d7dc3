// Serves the built renderer (dist/renderer): files only, no directory listing, nothing outside
// the folder (traversal and symlinks out are refused), index.html for the app's own routes.
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { extname, join, resolve } from 'node:path';
import { SECURITY_HEADERS } from '../shared/security';
import { isWithin } from '../services/paths/path-guard';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

export async function serveStatic(rootDir: string, urlPath: string, res: ServerResponse, head: boolean): Promise<void> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return plain(res, 400, 'Bad path encoding.');
  }
  if (decoded.includes('\0') || decoded.includes('\\') || decoded.split('/').includes('..')) {
    return plain(res, 400, 'Paths with ".." are refused.');
  }
  let root: string;
  try {
    root = await realpath(rootDir);
  } catch {
    return plain(res, 503, `The app is not built yet (${rootDir} is missing). Run \`npm run build\` or \`npm run web\`.`);
  }
  // The app's routes (no file extension) all get index.html; assets must exist as files.
  const wantsPage = decoded === '/' || extname(decoded) === '';
  const candidate = wantsPage ? join(root, 'index.html') : resolve(root, `.${decoded}`);
  let real: string;
  try {
    real = await realpath(candidate);
  } catch {
    return plain(res, 404, 'Not found.');
  }
  if (!isWithin(root, real)) return plain(res, 404, 'Not found.');
  const info = await stat(real);
  if (!info.isFile()) return plain(res, 404, 'Not found.'); // never list a directory
  const type = TYPES[extname(real).toLowerCase()] ?? 'application/octet-stream';
  // Hashed assets can be cached for good; index.html must always be fresh.
  const cache = real.includes(`${join(root, 'assets')}`) ? 'public, max-age=31536000, immutable' : 'no-store';
  res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': type, 'content-length': info.size, 'cache-control': cache });
  if (head) {
    res.end();
    return;
  }
  createReadStream(real).pipe(res);
}

export function plain(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
  res.end(`${message}\n`);
}
