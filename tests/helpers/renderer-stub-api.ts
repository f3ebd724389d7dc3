// An in-memory API client for the renderer's component tests ONLY (never used by the app): calls
// answer from a table of handlers, topics are pushed by the test with emit().
import { createApiClient, type ApiClient } from '../../renderer/src/api';
import type { ApiErrorBody, ApiResult, TunedeskBridge } from '../../electron/shared/bridge';

export type StubHandlers = Record<string, (request: unknown) => unknown>;

/** Thrown by a stub handler to answer with this exact error body (code, message, hint). */
export class StubCallError extends Error {
  constructor(readonly body: ApiErrorBody) {
    super(body.message);
  }
}

export interface StubApi {
  client: ApiClient;
  calls: { name: string; request: unknown }[];
  emit(topic: string, event: unknown): void;
  listeners(topic: string): number;
}

export function stubApi(handlers: StubHandlers): StubApi {
  const calls: StubApi['calls'] = [];
  const subs = new Map<string, Set<(e: unknown) => void>>();
  const bridge: TunedeskBridge = {
    async invoke(name, request): Promise<ApiResult> {
      calls.push({ name, request });
      const handler = handlers[name];
      if (!handler) return { ok: false, error: { code: 'unknown_call', message: `no stub for ${name}` } };
      try {
        return { ok: true, value: await handler(request) };
      } catch (e) {
        if (e instanceof StubCallError) return { ok: false, error: e.body };
        return { ok: false, error: { code: 'failed', message: (e as Error).message } };
      }
    },
    subscribe(topic, listener) {
      let set = subs.get(topic);
      if (!set) subs.set(topic, (set = new Set()));
      set.add(listener);
      return () => set.delete(listener);
    },
  };
  return {
    client: createApiClient(bridge, 'browser'),
    calls,
    emit: (topic, event) => subs.get(topic)?.forEach((l) => l(event)),
    listeners: (topic) => subs.get(topic)?.size ?? 0,
  };
}
