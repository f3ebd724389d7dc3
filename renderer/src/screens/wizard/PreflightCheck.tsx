// Before a long run: train two steps on the longest samples and show the measured peak memory
// beside the estimate; when it would not fit, the run manager's ladder of changes, one click each.
import { useState } from 'react';
import type { CallRequest, CallResponse } from '../../api';
import { useApi } from '../../api-context';
import { ErrorNote } from '../../components/ErrorNote';
import { ProgressBar } from '../../components/ProgressBar';
import { toUiError } from '../../components/useCall';
import { useWizardStore } from './wizard-store';
import type { RunConfigDraft } from '../../shared-state/train-settings';

type Preflight = CallResponse<'runs.preflight'>;

/** onResult: the review step takes the probe's measured speed for its time estimate. */
export function PreflightCheck({ config, onResult }: { config: CallRequest<'runs.preflight'>['config']; onResult?: (result: Preflight) => void }) {
  const api = useApi();
  const set = useWizardStore((s) => s.set);
  const [result, setResult] = useState<Preflight | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ message: string; hint?: string } | null>(null);

  const run = async () => {
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      const r = await api.invoke('runs.preflight', { config });
      setResult(r);
      onResult?.(r);
    } catch (e) {
      setError(toUiError(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card stack" aria-label="Memory check">
      <div className="row" style={{ justifyContent: 'space-between' }}>
        <span>
          <strong>Check memory first</strong> <span className="help">— two training steps on the longest samples (optional, takes a moment).</span>
        </span>
        <button type="button" onClick={run} disabled={busy}>
          {busy ? 'Measuring…' : 'Measure'}
        </button>
      </div>
      {busy && <ProgressBar fraction={null} label="Measuring peak memory" />}
      <ErrorNote error={error} />
      {result && (
        <div className="stack" data-testid="preflight">
          {result.error ? (
            <ErrorNote error={{ message: result.error }} title="The check could not run" />
          ) : (
            <div className={`alert ${result.fits === false ? 'bad' : 'ok'}`}>
              Measured peak {result.measuredPeakGb === null ? 'unknown' : `${result.measuredPeakGb.toFixed(2)} GiB`}
              {result.estimateGb !== null && ` (estimated ${result.estimateGb.toFixed(2)} GiB)`}
              {result.budgetGb !== null && ` of ${result.budgetGb.toFixed(1)} GiB available`}
              {result.fits === false ? ': it would not fit.' : result.fits ? ': it fits.' : '.'}
            </div>
          )}
          {result.ladder.map((step) => (
            <div key={step.change} className="row" style={{ justifyContent: 'space-between' }}>
              <span>
                {step.change} <span className="help">— {step.why}</span>
              </span>
              <button type="button" onClick={() => Object.entries(step.settings as RunConfigDraft).forEach(([k, v]) => set(k, v))}>
                Apply
              </button>
            </div>
          ))}
        </div>
      )}
    </section>
  );
}
