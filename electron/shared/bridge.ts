// What both transports hand back, and the shape of the desktop bridge (window.tunedesk). Types
// only apart from the channel names: the preload, the Electron main process, the browser-mode
// server and the renderer's client all agree on these.

/** Why a call was refused or failed; `code` is stable, `message` is for people. */
export interface ApiErrorBody {
  /** invalid_request | unknown_call | path_refused | unauthorized | too_large | failed | internal ... */
  code: string;
  /** What went wrong, and where. */
  message: string;
  /** What to do about it, when there is something to do. */
  hint?: string;
  /** The request field at fault, as a dotted path (e.g. "model.path"). */
  field?: string;
}

/** The envelope every call answers with, over IPC and over HTTP alike. */
export type ApiResult<T = unknown> = { ok: true; value: T } | { ok: false; error: ApiErrorBody };

/** window.tunedesk in the desktop app: exactly these two functions, nothing else. */
export interface TunedeskBridge {
  invoke(name: string, request: unknown): Promise<ApiResult>;
  /** Calls `listener` for every event of `topic`; returns the function that stops it. */
  subscribe(topic: string, listener: (event: unknown) => void): () => void;
}

/** IPC channel names (preload ↔ main). */
export const IPC = {
  invoke: 'tunedesk:invoke',
  subscribe: 'tunedesk:subscribe',
  unsubscribe: 'tunedesk:unsubscribe',
  event: 'tunedesk:event',
} as const;

/** Header that carries the browser-mode token on API calls. */
export const TOKEN_HEADER = 'x-tunedesk-token';
