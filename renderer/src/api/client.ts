// The renderer's typed API client: every call and topic is typed by the one contract
// (electron/shared/contract), so a renamed call or a changed field breaks the build.
//   const info = await api.invoke('app.info', {});
//   const stop = api.subscribe('system.setupProgress', (e) => ...);
// In the desktop app it goes through the preload bridge (window.tunedesk); in browser mode over
// HTTP + server-sent events with the token from the page URL.
import type { TunedeskBridge } from '../../../electron/shared/bridge';
import type { CallName, CallRequest, CallResponse, TopicEvent, TopicName } from '../../../electron/shared/contract';
import { ApiCallError } from './errors';
import { createHttpTransport, tokenFromLocation } from './http-transport';

export interface ApiClient {
  /** Calls `name`; resolves to its typed response or rejects with an ApiCallError. */
  invoke<K extends CallName>(name: K, request: CallRequest<K>): Promise<CallResponse<K>>;
  /** Listens to a topic; returns the unsubscribe function (call it in the effect's cleanup). */
  subscribe<K extends TopicName>(topic: K, listener: (event: TopicEvent<K>) => void): () => void;
  /** Which transport is in use. */
  readonly mode: 'electron' | 'browser';
}

export function createApiClient(transport: TunedeskBridge, mode: 'electron' | 'browser'): ApiClient {
  return {
    mode,
    async invoke(name, request) {
      const result = await transport.invoke(name, request);
      if (!result.ok) throw new ApiCallError(name, result.error);
      return result.value as CallResponse<typeof name>;
    },
    subscribe(topic, listener) {
      return transport.subscribe(topic, (event) => listener(event as TopicEvent<typeof topic>));
    },
  };
}

declare global {
  interface Window {
    /** The desktop app's preload bridge; absent in browser mode. */
    tunedesk?: TunedeskBridge;
  }
}

/** Picks the preload bridge when present, else HTTP/SSE with the token from the URL. */
export function createDefaultClient(): ApiClient {
  if (typeof window !== 'undefined' && window.tunedesk) return createApiClient(window.tunedesk, 'electron');
  const token = tokenFromLocation(window.location, window.sessionStorage);
  return createApiClient(createHttpTransport({ token }), 'browser');
}

let instance: ApiClient | undefined;

/** The app-wide client, created on first use (tests build their own with createApiClient). */
export const api: ApiClient = {
  get mode() {
    return (instance ??= createDefaultClient()).mode;
  },
  invoke: (name, request) => (instance ??= createDefaultClient()).invoke(name, request),
  subscribe: (topic, listener) => (instance ??= createDefaultClient()).subscribe(topic, listener),
};
