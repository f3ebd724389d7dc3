// ChatGLM-6B (the first generation) on the model step: why it needs its own environment, exactly
// which of its files would run, where things stand, and the user's explicit agreement, which
// creates that environment (pip: minutes online; offline it fails fast with what to do).
import { useEffect, useState } from 'react';
import type { LegacyChatglmStatus } from '../../../../electron/shared/contract/legacy-chatglm';
import { useApi } from '../../api-context';
import { ErrorNote } from '../../components/ErrorNote';
import { ProgressBar } from '../../components/ProgressBar';
import { toUiError, useCall } from '../../components/useCall';
import { formatBytes, formatElapsed } from './format';
import { useElapsedSeconds } from '../../components/useElapsedSeconds';
import { useWizardStore } from './wizard-store';

export function LegacyChatglmCard({ modelDir }: { modelDir: string }) {
  const api = useApi();
  const call = useCall('models.legacyChatglm', { modelDir });
  const [agreed, setAgreed] = useState<LegacyChatglmStatus | null>(null);
  const status = agreed ?? call.data;
  const [checked, setChecked] = useState(false);
  const [busySince, setBusySince] = useState<number | null>(null);
  const [error, setError] = useState<{ message: string; hint?: string } | null>(null);

  const elapsed = useElapsedSeconds(busySince);
  // The wizard's Next waits for this: ChatGLM-6B trains only once the environment and the consent exist.
  const ready = status?.ready ?? null;
  useEffect(() => useWizardStore.getState().setLegacyReady(ready), [ready]);

  const agree = async () => {
    if (!status) return;
    setError(null);
    setBusySince(Date.now());
    try {
      // Exactly what the user was shown: the host refuses if any file changed since.
      setAgreed(await api.invoke('models.legacyChatglmAgree', { modelDir, files: status.files.map((f) => ({ name: f.name, sha256: f.sha256 })) }));
    } catch (e) {
      setError(toUiError(e));
      if (e && typeof e === 'object' && 'code' in e && e.code === 'conflict') {
        // The files changed: show the new ones and ask again.
        setAgreed(null);
        setChecked(false);
        call.reload();
      }
    } finally {
      setBusySince(null);
    }
  };

  const busy = busySince !== null;
  return (
    <section className="card stack" aria-label="ChatGLM-6B legacy environment" data-testid="legacy-chatglm-card">
      <h3 style={{ margin: 0 }}>ChatGLM-6B needs its own environment</h3>
      <p style={{ margin: 0 }}>
        ChatGLM-6B (the first generation) has no implementation in today&apos;s transformers. It trains only with its own Python code, which comes
        with the model folder and runs with <code>trust_remote_code</code>, on transformers 4.27–4.33. TuneDesk keeps that in a separate
        environment, apart from its own trainer, and uses it only for this model, only while these files stay exactly as you agreed to.
      </p>
      {call.loading && !status && <p className="help">Reading the model&apos;s Python files…</p>}
      <ErrorNote error={call.error} title="Cannot check the legacy environment" />
      {status && (
        <>
          <dl className="kv">
            <dt>Environment</dt>
            <dd data-testid="legacy-env-state">
              {status.env.exists ? 'ready' : 'not created yet'} <span className="help">({status.env.path})</span>
            </dd>
            <dt>Your consent</dt>
            <dd data-testid="legacy-consent-state">{status.consent ? 'given for the files below, as they are now' : 'not given for the files below'}</dd>
          </dl>
          <div>
            <p style={{ margin: '0 0 4px' }}>
              {status.files.length > 0 ? 'These files of the model folder would run when you train it:' : 'The model folder names no Python files to run.'}
            </p>
            {status.files.length > 0 && (
              <table className="table" data-testid="legacy-files">
                <thead>
                  <tr>
                    <th>File</th>
                    <th>Size</th>
                    <th>SHA-256</th>
                  </tr>
                </thead>
                <tbody>
                  {status.files.map((f) => (
                    <tr key={f.name}>
                      <td>
                        <code>{f.name}</code>
                      </td>
                      <td className="num">{formatBytes(f.bytes)}</td>
                      <td>
                        <code title={f.sha256} aria-label={`SHA-256 ${f.sha256}`}>
                          {f.sha256.slice(0, 16)}…
                        </code>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            <p className="help" style={{ margin: '4px 0 0' }}>
              They are in {status.modelDir}. Open them in an editor and read them before you agree. Hover a hash for its full value.
            </p>
          </div>
          {/* status.weightsNote (pickle-only weights) is the model step's convert-weights card, with its button: said once. */}
          <details>
            <summary className="help">What the environment holds, and the trainer&apos;s full explanation</summary>
            <p className="help">Pinned packages: {status.env.pins.join(', ')}</p>
            <p className="help">{status.explanation}</p>
          </details>
          {status.ready ? (
            <div className="alert ok" data-testid="legacy-ready">
              Ready: runs of this model use the legacy environment by themselves. LoRA, Freeze or full training on one GPU; P-Tuning and DeepSpeed
              are not available there.
            </div>
          ) : (
            <>
              <label className="row" style={{ gap: 6 }}>
                <input type="checkbox" checked={checked} disabled={busy} onChange={(e) => setChecked(e.target.checked)} />I have read these files and
                agree to run them
              </label>
              <div className="row">
                <button type="button" className="primary" onClick={() => void agree()} disabled={!checked || busy} aria-busy={busy}>
                  {status.env.exists ? 'Agree to run these files' : 'Create the environment and agree'}
                </button>
                {!status.env.exists && !busy && <span className="help">Needs internet access once: pip downloads about 2 GB.</span>}
              </div>
              {busy && (
                <div className="stack" aria-live="polite" data-testid="legacy-progress" style={{ gap: 4 }}>
                  <ProgressBar fraction={null} label="Creating the legacy environment" />
                  <span className="help">
                    {status.env.exists ? 'Recording your consent…' : 'Creating the environment: pip installs torch 2.0.1, transformers 4.33 and more; this can take several minutes.'}{' '}
                    <span className="num">{formatElapsed(elapsed)}</span>
                  </span>
                </div>
              )}
            </>
          )}
          <ErrorNote error={error} title={status.env.exists ? 'Could not record the consent' : 'Could not create the environment'} />
        </>
      )}
    </section>
  );
}
