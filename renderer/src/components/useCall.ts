// Runs one API call for a component and keeps its result, error and loading state. The call runs
// again when the request's content changes (compared as JSON) or on reload(); a late answer to an
// older request is ignored. A null request means "not yet" (e.g. no model chosen).
import { useCallback, useEffect, useRef, useState } from 'react';
import type { CallName, CallRequest, CallResponse } from '../api';
import { useApi } from '../api-context';

export interface CallState<K extends CallName> {
  data: CallResponse<K> | null;
  error: { message: string; hint?: string } | null;
  loading: boolean;
  reload(): void;
}

export function useCall<K extends CallName>(name: K, request: CallRequest<K> | null): CallState<K> {
  const api = useApi();
  const [nonce, setNonce] = useState(0);
  const key = request === null ? null : JSON.stringify(request);
  const token = `${name}#${nonce}#${key}`;
  // The last answer and which request it answered: loading is derived, not stored.
  const [result, setResult] = useState<{ token: string; data: CallResponse<K> | null; error: CallState<K>['error'] }>({
    token: '',
    data: null,
    error: null,
  });
  const latest = useRef(token);

  useEffect(() => {
    latest.current = token;
    if (key === null) return;
    api.invoke(name, JSON.parse(key) as CallRequest<K>).then(
      (data) => {
        if (latest.current === token) setResult({ token, data, error: null });
      },
      (e: unknown) => {
        if (latest.current === token) setResult((r) => ({ token, data: r.data, error: toUiError(e) }));
      },
    );
  }, [api, name, key, token]);

  const reload = useCallback(() => setNonce((n) => n + 1), []);
  return { data: result.data, error: result.error, loading: key !== null && result.token !== token, reload };
}

/** Any thrown value as { message, hint } for display. */
export function toUiError(e: unknown): { message: string; hint?: string } {
  if (e && typeof e === 'object' && 'message' in e) {
    const hint = 'hint' in e && typeof e.hint === 'string' ? e.hint : undefined;
    return hint ? { message: String(e.message), hint } : { message: String(e.message) };
  }
  return { message: String(e) };
}
