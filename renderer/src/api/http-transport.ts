// Browser mode: calls are POST /api/<name> with the per-launch token in a header; topics arrive
// over one server-sent-events stream carrying the union of the subscribed topics.
import { TOKEN_HEADER, type ApiErrorBody, type ApiResult, type TunedeskBridge } from '../../../electron/shared/bridge';

const TOKEN_KEY = 'tunedesk.token';

/** The token from the page URL (?token=...), remembered for this tab so a reload keeps working. */
export function tokenFromLocation(location: { search: string }, storage?: Pick<Storage, 'getItem' | 'setItem'>): string {
  const fromUrl = new URLSearchParams(location.search).get('token');
  if (fromUrl) {
    storage?.setItem(TOKEN_KEY, fromUrl);
    return fromUrl;
  }
  return storage?.getItem(TOKEN_KEY) ?? '';
}

type Listener = (event: unknown) => void;

export interface HttpTransportOptions {
  token: string;
  /** Origin + base path of the server; '' means the page's own origin. */
  baseUrl?: string;
  fetch?: typeof fetch;
  EventSource?: typeof EventSource;
}

export function createHttpTransport(options: HttpTransportOptions): TunedeskBridge {
  const base = options.baseUrl ?? '';
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  const EventSourceImpl = options.EventSource ?? globalThis.EventSource;
  const listeners = new Map<string, Set<Listener>>();
  let stream: EventSource | null = null;
  let streamTopics = '';
  const superseded = new Set<EventSource>();
  const closeSuperseded = () => {
    for (const old of superseded) old.close();
    superseded.clear();
  };

  async function invoke(name: string, request: unknown): Promise<ApiResult> {
    let response: Response;
    try {
      response = await doFetch(`${base}/api/${encodeURIComponent(name)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [TOKEN_HEADER]: options.token },
        body: JSON.stringify(request ?? {}),
      });
    } catch (error) {
      return failure('unreachable', `TuneDesk's server did not answer (${String(error)}).`, 'Is `npm run web` still running?');
    }
    const text = await response.text();
    try {
      return JSON.parse(text) as ApiResult;
    } catch {
      return failure('internal', `The server answered ${response.status} with something that is not JSON.`);
    }
  }

  // One stream for all topics: browsers allow only ~6 connections per host, and a stream per topic
  // would starve the calls. When the topic set changes, the new stream replaces the old one as soon
  // as it is ready, so no event is delivered twice and the gap stays minimal.
  function reconnect(): void {
    const wanted = [...listeners.keys()].sort().join(',');
    if (wanted === streamTopics) return;
    streamTopics = wanted;
    if (stream) superseded.add(stream);
    if (!wanted) {
      stream = null;
      closeSuperseded();
      return;
    }
    const url = `${base}/api/events?topics=${encodeURIComponent(wanted)}&token=${encodeURIComponent(options.token)}`;
    const next = new EventSourceImpl(url);
    stream = next;
    next.addEventListener('ready', () => {
      if (stream === next) closeSuperseded();
    });
    for (const topic of wanted.split(',')) {
      next.addEventListener(topic, (message) => {
        if (stream !== next) return; // superseded stream still draining
        const data = JSON.parse((message as MessageEvent<string>).data) as unknown;
        for (const listener of listeners.get(topic) ?? []) listener(data);
      });
    }
  }

  function subscribe(topic: string, listener: Listener): () => void {
    let set = listeners.get(topic);
    if (!set) listeners.set(topic, (set = new Set()));
    set.add(listener);
    reconnect();
    return () => {
      const current = listeners.get(topic);
      if (!current?.delete(listener)) return;
      if (current.size === 0) listeners.delete(topic);
      reconnect();
    };
  }

  return { invoke, subscribe };
}

function failure(code: string, message: string, hint?: string): ApiResult {
  const error: ApiErrorBody = { code, message };
  if (hint) error.hint = hint;
  return { ok: false, error };
}
