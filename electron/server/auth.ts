// Browser mode's gate: a random per-launch token, and only requests addressed to our own
// loopback origin (which defeats DNS rebinding: a foreign page that resolves its name to
// 127.0.0.1 still sends its own Host header).
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { TOKEN_HEADER } from '../shared/bridge';

export const TOKEN_COOKIE = 'tunedesk-token';

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

export function sameToken(expected: string, given: string | undefined | null): boolean {
  if (!given) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Where a request may carry the token: calls only in the header; streams and pages also in the URL; assets also in the cookie. */
export type TokenPlaces = { header: boolean; query: boolean; cookie: boolean };

export function requestToken(req: IncomingMessage, url: URL, places: TokenPlaces): string | null {
  if (places.header) {
    const header = req.headers[TOKEN_HEADER];
    if (typeof header === 'string' && header) return header;
    const auth = req.headers.authorization;
    if (auth?.startsWith('Bearer ')) return auth.slice('Bearer '.length);
  }
  if (places.query) {
    const query = url.searchParams.get('token');
    if (query) return query;
  }
  if (places.cookie) {
    for (const part of (req.headers.cookie ?? '').split(';')) {
      const [name, ...value] = part.trim().split('=');
      if (name === TOKEN_COOKIE) return value.join('=');
    }
  }
  return null;
}

/** The Host header must name our loopback address and port. */
export function hostAllowed(req: IncomingMessage, port: number): boolean {
  const host = req.headers.host;
  return host === `127.0.0.1:${port}` || host === `localhost:${port}`;
}

/** A cross-site page may not call us even if it somehow learnt the token. */
export function originAllowed(req: IncomingMessage, port: number): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true; // not a browser, or a same-origin GET
  return origin === `http://127.0.0.1:${port}` || origin === `http://localhost:${port}`;
}
