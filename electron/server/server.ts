// Browser mode: the same API as the desktop app, over HTTP on 127.0.0.1 only.
//   POST /api/<call>        JSON body = the request; answers the ApiResult envelope
//   GET  /api/events?topics=a,b&token=...   server-sent events
//   GET  /...               the built renderer (dist/renderer)
// Every request needs the per-launch token; calls carry it in the x-tunedesk-token header.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ApiResult } from '../shared/bridge';
import { SECURITY_HEADERS } from '../shared/security';
import { httpStatusFor } from '../api/api-error';
import type { ApiContext } from '../api/context';
import { dispatch } from '../api/dispatch';
import { MAX_REQUEST_BYTES } from '../api/payload-size';
import { hostAllowed, newToken, originAllowed, requestToken, sameToken, TOKEN_COOKIE } from './auth';
import { MAX_STREAMS, openEventStream, parseTopics, streamSlotsLeft } from './event-stream';
import { plain, serveStatic } from './static-files';

/** The only address browser mode ever listens on. */
export const LOOPBACK = '127.0.0.1';
export const DEFAULT_MAX_BODY_BYTES = MAX_REQUEST_BYTES;

export interface ServerOptions {
  ctx: ApiContext;
  /** The built renderer folder (dist/renderer). */
  rendererDir: string;
  /** 0 = any free port. */
  port?: number;
  token?: string;
  maxBodyBytes?: number;
}

export interface RunningServer {
  server: Server;
  port: number;
  /** The address actually bound (always 127.0.0.1). */
  address: string;
  token: string;
  /** The URL to open, token included. */
  url: string;
  close(): Promise<void>;
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const token = options.token ?? newToken();
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  let port = 0;
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      console.error('[tunedesk] request failed:', error);
      if (!res.headersSent) sendResult(res, 500, { ok: false, error: { code: 'internal', message: String(error) } });
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!hostAllowed(req, port)) return plain(res, 403, `This server answers only to http://${LOOPBACK}:${port}.`);
    const url = new URL(req.url ?? '/', `http://${LOOPBACK}:${port}`);
    const isApi = url.pathname === '/api' || url.pathname.startsWith('/api/');
    if (isApi) return handleApi(req, res, url);
    if (req.method !== 'GET' && req.method !== 'HEAD') return plain(res, 405, 'Only GET here.');
    const given = requestToken(req, url, { header: true, query: true, cookie: true });
    if (!sameToken(token, given)) return unauthorized(res, false);
    // A page opened with ?token= gets the token as a strict, script-invisible cookie, so the
    // assets it loads (which carry no token) are authorised too. API calls never accept it.
    if (url.searchParams.has('token')) {
      res.setHeader('set-cookie', `${TOKEN_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`);
    }
    await serveStatic(options.rendererDir, url.pathname, res, req.method === 'HEAD', req);
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (!originAllowed(req, port)) return sendError(res, 'forbidden', 'Cross-origin requests are refused.');
    if (url.pathname === '/api/events') {
      if (req.method !== 'GET') return sendError(res, 'method_not_allowed', 'Use GET for /api/events.', 405);
      if (!sameToken(token, requestToken(req, url, { header: true, query: true, cookie: false }))) return unauthorized(res, true);
      const parsed = parseTopics(url.searchParams.get('topics'));
      if ('error' in parsed) return sendError(res, 'invalid_request', parsed.error);
      if (!streamSlotsLeft()) return sendError(res, 'too_many_streams', `More than ${MAX_STREAMS} event streams are open; close some tabs.`, 503);
      return openEventStream(req, res, options.ctx.events, parsed.topics, SECURITY_HEADERS);
    }
    if (!sameToken(token, requestToken(req, url, { header: true, query: false, cookie: false }))) return unauthorized(res, true);
    if (req.method !== 'POST') return sendError(res, 'method_not_allowed', 'Calls are POST /api/<call> with a JSON body.', 405);
    const name = url.pathname.slice('/api/'.length);
    const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== 'application/json') {
      return sendError(res, 'unsupported_media_type', 'Send the request as JSON (content-type: application/json).');
    }
    const body = await readBody(req, maxBody);
    if (body === 'too_large') {
      sendError(res, 'too_large', `The request is larger than ${maxBody} bytes.`);
      req.destroy();
      return;
    }
    let request: unknown;
    try {
      request = body.length === 0 ? {} : JSON.parse(body);
    } catch {
      return sendError(res, 'invalid_request', `The body of ${name} is not valid JSON.`);
    }
    const result = await dispatch(options.ctx, decodeURIComponent(name), request);
    sendResult(res, result.ok ? 200 : httpStatusFor(result.error.code), result);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, LOOPBACK, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  port = address.port;
  return {
    server,
    port,
    address: address.address,
    token,
    url: `http://${LOOPBACK}:${port}/?token=${token}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function readBody(req: IncomingMessage, limit: number): Promise<string | 'too_large'> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > limit) return 'too_large';
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) return 'too_large';
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function sendResult(res: ServerResponse, status: number, result: ApiResult): void {
  const body = JSON.stringify(result);
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(body);
}

function sendError(res: ServerResponse, code: string, message: string, status = httpStatusFor(code)): void {
  sendResult(res, status, { ok: false, error: { code, message } });
}

function unauthorized(res: ServerResponse, api: boolean): void {
  const message = 'This TuneDesk server needs its token: open the exact URL it printed when it started (…/?token=…).';
  if (api) return sendResult(res, 401, { ok: false, error: { code: 'unauthorized', message } });
  plain(res, 401, message);
}
