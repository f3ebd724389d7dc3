// The Hub's access token (gated models) and endpoint (a mirror). The token goes to the host once
// and is never shown again: the desktop app encrypts it with the OS's secret storage; browser mode
// keeps it in memory only and says so.
import { useState } from 'react';
import { useApi } from '../../api-context';
import { ErrorNote } from '../../components/ErrorNote';
import { toUiError, useCall } from '../../components/useCall';

export function HubSettings() {
  const api = useApi();
  const status = useCall('hub.tokenStatus', {});
  const endpoint = useCall('hub.endpoint', {});
  const [token, setToken] = useState('');
  const [mirror, setMirror] = useState<string | null>(null);
  const [error, setError] = useState<{ message: string; hint?: string } | null>(null);

  const act = async (fn: () => Promise<unknown>, after: () => void) => {
    setError(null);
    try {
      await fn();
      after();
    } catch (e) {
      setError(toUiError(e));
    }
  };
  const saveToken = (value: string | null) =>
    act(
      () => api.invoke('hub.setToken', { token: value }),
      () => {
        setToken('');
        status.reload();
      },
    );
  const saveEndpoint = (value: string | null) =>
    act(
      () => api.invoke('hub.setEndpoint', { endpoint: value }),
      () => {
        setMirror(null);
        endpoint.reload();
      },
    );

  return (
    <details data-testid="hub-settings">
      <summary>Access token and Hub endpoint</summary>
      <div className="stack" style={{ marginTop: 8 }}>
        <form
          className="row"
          onSubmit={(e) => {
            e.preventDefault();
            if (token.trim()) void saveToken(token.trim());
          }}
        >
          <label className="row" style={{ gap: 6 }}>
            Access token
            <input type="password" autoComplete="off" aria-label="Access token" placeholder={status.data?.stored ? '(stored)' : 'hf_…'} value={token} onChange={(e) => setToken(e.target.value)} />
          </label>
          <button type="submit" disabled={!token.trim()}>
            Save token
          </button>
          {status.data?.stored && (
            <button type="button" onClick={() => void saveToken(null)}>
              Forget token
            </button>
          )}
        </form>
        {status.data && <span className="help">{status.data.note} Gated models (Llama) need a token of an account that accepted their licence.</span>}
        <form
          className="row"
          onSubmit={(e) => {
            e.preventDefault();
            if (mirror?.trim()) void saveEndpoint(mirror.trim());
          }}
        >
          <label className="row" style={{ gap: 6 }}>
            Endpoint
            <input aria-label="Hub endpoint" value={mirror ?? endpoint.data?.endpoint ?? ''} onChange={(e) => setMirror(e.target.value)} size={34} disabled={endpoint.data?.source === 'env'} />
          </label>
          <button type="submit" disabled={!mirror?.trim()}>
            Save endpoint
          </button>
          {endpoint.data?.source === 'settings' && (
            <button type="button" onClick={() => void saveEndpoint(null)}>
              Back to huggingface.co
            </button>
          )}
        </form>
        {endpoint.data?.source === 'env' && <span className="help">HF_ENDPOINT is set for this app, so it is used (change it where the app is started).</span>}
        <ErrorNote error={error} />
      </div>
    </details>
  );
}
