// The renderer's typed client over both transports, with fake fetch/EventSource (no server).
import { describe, expect, it } from 'vitest';
import { ApiCallError, createApiClient, createHttpTransport, tokenFromLocation } from '../../renderer/src/api';
import type { ApiResult, TunedeskBridge } from '../../electron/shared/bridge';

class FakeEventSource {
  static opened: FakeEventSource[] = [];
  closed = false;
  handlers = new Map<string, ((e: { data: string }) => void)[]>();
  constructor(readonly url: string) {
    FakeEventSource.opened.push(this);
  }
  addEventListener(type: string, handler: (e: { data: string }) => void) {
    this.handlers.set(type, [...(this.handlers.get(type) ?? []), handler]);
  }
  emit(type: string, data: unknown) {
    for (const h of this.handlers.get(type) ?? []) h({ data: JSON.stringify(data) });
  }
  close() {
    this.closed = true;
  }
}

describe('api client', () => {
  it('unwraps ok results and throws ApiCallError with code, hint and field', async () => {
    const answers: ApiResult[] = [
      { ok: true, value: { path: '/x' } },
      { ok: false, error: { code: 'path_refused', message: 'outside', hint: 'pick it', field: 'typedPath' } },
    ];
    const seen: unknown[] = [];
    const bridge: TunedeskBridge = {
      invoke: async (name, request) => {
        seen.push([name, request]);
        return answers.shift()!;
      },
      subscribe: () => () => {},
    };
    const client = createApiClient(bridge, 'electron');
    await expect(client.invoke('system.pickPath', { kind: 'file', purpose: 'data' })).resolves.toEqual({ path: '/x' });
    const error = await client.invoke('system.pickPath', { kind: 'file', purpose: 'data' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiCallError);
    expect(error).toMatchObject({ code: 'path_refused', hint: 'pick it', field: 'typedPath', call: 'system.pickPath' });
    expect(seen[0]).toEqual(['system.pickPath', { kind: 'file', purpose: 'data' }]);
  });

  it('is typed by the contract: unknown calls, wrong requests and unknown topics do not compile', () => {
    const client = createApiClient({ invoke: async () => ({ ok: true, value: null }), subscribe: () => () => {} }, 'browser');
    // These lines are checked by `tsc` (npm run typecheck): each must stay an error.
    // @ts-expect-error a call the contract does not declare
    void client.invoke('no.such.call', {}).catch(() => {});
    // @ts-expect-error a request with the wrong shape
    void client.invoke('system.pickPath', { kind: 'folder', purpose: 'model' }).catch(() => {});
    // @ts-expect-error a topic the contract does not declare
    client.subscribe('no.such.topic', () => {});
    const stop = client.subscribe('system.setupProgress', (event) => {
      const line: string = event.line; // typed event payload
      void line;
    });
    expect(typeof stop).toBe('function');
  });

  it('sends the token header and JSON body over HTTP', async () => {
    const requests: { url: string; init: RequestInit }[] = [];
    const transport = createHttpTransport({
      token: 'tok',
      fetch: async (url, init) => {
        requests.push({ url: String(url), init: init! });
        return new Response(JSON.stringify({ ok: true, value: 1 }));
      },
      EventSource: FakeEventSource as unknown as typeof EventSource,
    });
    await expect(transport.invoke('app.info', {})).resolves.toEqual({ ok: true, value: 1 });
    expect(requests[0]!.url).toBe('/api/app.info');
    expect((requests[0]!.init.headers as Record<string, string>)['x-tunedesk-token']).toBe('tok');
    expect(requests[0]!.init.body).toBe('{}');
  });

  it('reports an unreachable server as a failed result, not a crash', async () => {
    const transport = createHttpTransport({
      token: 't',
      fetch: async () => {
        throw new TypeError('Failed to fetch');
      },
    });
    const result = await transport.invoke('app.info', {});
    expect(result).toMatchObject({ ok: false, error: { code: 'unreachable' } });
  });

  it('keeps one event stream for the union of topics and swaps it when ready', () => {
    FakeEventSource.opened = [];
    const transport = createHttpTransport({ token: 't', EventSource: FakeEventSource as unknown as typeof EventSource });
    const a: unknown[] = [];
    const b: unknown[] = [];
    const stopA = transport.subscribe('topic.a', (e) => a.push(e));
    const first = FakeEventSource.opened[0]!;
    expect(first.url).toBe('/api/events?topics=topic.a&token=t');
    first.emit('topic.a', { n: 1 });
    const stopB = transport.subscribe('topic.b', (e) => b.push(e));
    const second = FakeEventSource.opened[1]!;
    expect(decodeURIComponent(second.url)).toContain('topics=topic.a,topic.b');
    first.emit('topic.a', { n: 2 }); // superseded: not delivered twice
    second.emit('ready', {});
    expect(first.closed).toBe(true);
    second.emit('topic.a', { n: 3 });
    second.emit('topic.b', { m: 1 });
    expect(a).toEqual([{ n: 1 }, { n: 3 }]);
    expect(b).toEqual([{ m: 1 }]);
    stopA();
    stopB();
    expect(FakeEventSource.opened.every((s) => s.closed)).toBe(true);
  });

  it('takes the token from the URL and remembers it for reloads', () => {
    const store = new Map<string, string>();
    const storage = { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v) };
    expect(tokenFromLocation({ search: '?token=abc' }, storage)).toBe('abc');
    expect(tokenFromLocation({ search: '' }, storage)).toBe('abc');
  });
});
