// GET /api/events?topics=a,b: server-sent events for the subscribed topics. The first event is
// "ready" (the client swaps streams on it); a comment line every 15 s keeps proxies and SSH
// tunnels from closing an idle connection.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EventHub } from '../api/event-hub';
import { EventHub as Hub } from '../api/event-hub';

export const HEARTBEAT_MS = 15_000;
/** Open streams at most: a page needs one; this only stops a runaway client from exhausting us. */
export const MAX_STREAMS = 32;

let openStreams = 0;

export function streamSlotsLeft(): boolean {
  return openStreams < MAX_STREAMS;
}

export function parseTopics(raw: string | null): { topics: string[] } | { error: string } {
  const topics = (raw ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  if (topics.length === 0) return { error: 'Name at least one topic: /api/events?topics=<topic>[,<topic>...]' };
  if (topics.length > 64) return { error: 'Too many topics in one stream (64 at most).' };
  const unknown = topics.filter((t) => !Hub.isTopic(t));
  if (unknown.length) return { error: `Unknown topic(s): ${unknown.map((t) => JSON.stringify(t.slice(0, 80))).join(', ')}.` };
  return { topics: [...new Set(topics)] };
}

export function openEventStream(req: IncomingMessage, res: ServerResponse, hub: EventHub, topics: string[], headers: Record<string, string>): void {
  res.writeHead(200, {
    ...headers,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  openStreams++;
  const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  send('ready', { topics });
  const stops = topics.map((topic) => hub.subscribe(topic, (event) => send(topic, event)));
  const heartbeat = setInterval(() => res.write(': ping\n\n'), HEARTBEAT_MS);
  heartbeat.unref();
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    openStreams--;
    clearInterval(heartbeat);
    for (const stop of stops.splice(0)) stop();
  };
  req.on('close', close);
  res.on('close', close);
}
