// Serves the built renderer (dist/renderer): files only, no directory listing, nothing outside
// the folder (traversal and symlinks out are refused), index.html for the app's own routes.
import { createReadStream } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
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

// Over an SSH tunnel the bundle's size is the start-up time: text assets go gzipped (about a
// third of the bytes), compressed once per file version and kept in memory.
const COMPRESSIBLE = new Set(['.html', '.js', '.mjs', '.css', '.json', '.svg', '.map', '.txt']);
const gzipped = new Map<string, { mtimeMs: number; body: Buffer }>();
const gzipAsync = promisify(gzip);

async function gzippedFile(path: string, mtimeMs: number): Promise<Buffer> {
  const cached = gzipped.get(path);
  if (cached && cached.mtimeMs === mtimeMs) return cached.body;
  const body = await gzipAsync(await readFile(path));
  gzipped.set(path, { mtimeMs, body });
  return body;
}

export async function serveStatic(rootDir: string, urlPath: string, res: ServerResponse, head: boolean, req?: IncomingMessage): Promise<void> {
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
  const acceptsGzip = /\bgzip\b/.test(String(req?.headers['accept-encoding'] ?? ''));
  if (acceptsGzip && COMPRESSIBLE.has(extname(real).toLowerCase()) && info.size > 1024) {
    const body = await gzippedFile(real, info.mtimeMs);
    res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': type, 'content-encoding': 'gzip', vary: 'accept-encoding', 'content-length': body.length, 'cache-control': cache });
    res.end(head ? undefined : body);
    return;
  }
  res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': type, 'content-length': info.size, 'cache-control': cache, vary: 'accept-encoding' });
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
