// Wizard step 4: the plan in plain words with its estimated time, the equivalent command line
// (copyable), then Start.
import { useState } from 'react';
import { useApi } from '../../api-context';
import { ErrorNote } from '../../components/ErrorNote';
import { toUiError } from '../../components/useCall';
import { navigate } from '../../route';
import { cliCommand, describeDraft, validateDraft, withDerived, type RunConfigDraft } from '../../shared-state/train-settings';
import { useWizardStore } from './wizard-store';
import type { CallRequest } from '../../api';
import { forMethod } from '../../../../electron/shared/trainer-flags';
import { PreflightCheck } from './PreflightCheck';
import { TimeEstimate, type MeasuredSpeed } from './TimeEstimate';

export function ReviewStep() {
  const api = useApi();
  const draft = useWizardStore((s) => s.draft);
  const presetId = useWizardStore((s) => s.presetId);
  const [error, setError] = useState<{ message: string; hint?: string } | null>(null);
  const [starting, setStarting] = useState(false);
  const [copied, setCopied] = useState(false);
  const problems = Object.values(validateDraft(draft));
  const command = cliCommand(draft);
  const config = toRunConfig(draft);
  // The memory check's speed, kept only for the configuration it measured.
  const [measured, setMeasured] = useState<{ for: string; speed: MeasuredSpeed } | null>(null);
  const configKey = JSON.stringify(config);

  const start = async () => {
    setStarting(true);
    setError(null);
    try {
      const request: CallRequest<'runs.start'> = { config: toRunConfig(draft) as CallRequest<'runs.start'>['config'] };
      if (presetId) request.preset = presetId;
      const gpus = useWizardStore.getState().gpus;
      if (gpus?.length) request.gpus = gpus;
      const r = await api.invoke('runs.start', request);
      // The next "New training" starts from a clean slate.
      useWizardStore.getState().reset();
      navigate({ screen: 'run', runId: r.summary.runId });
    } catch (e) {
      setError(toUiError(e));
    } finally {
      setStarting(false);
    }
  };

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(command);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  };

  return (
    <div className="stack">
      <p className="help">Check the plan. The same run can be started from a terminal with the command below.</p>
      <section className="card" aria-label="The plan">
        <ul>
          {describeDraft(draft).map((line) => (
            <li key={line}>{line}</li>
          ))}
        </ul>
        {problems.length === 0 ? (
          <TimeEstimate config={config as CallRequest<'estimator.time'>['config']} measured={measured?.for === configKey ? measured.speed : null} />
        ) : (
          <p className="help">The time it takes is measured from the first steps: the dashboard shows the remaining time as soon as it knows.</p>
        )}
      </section>
      <section className="card" aria-label="Command line">
        <div className="row" style={{ justifyContent: 'space-between' }}>
          <h3>Equivalent command</h3>
          <button type="button" onClick={copy}>
            {copied ? 'Copied' : 'Copy'}
          </button>
        </div>
        <pre className="log" data-testid="cli-command" style={{ maxHeight: 'none' }}>
          {command}
        </pre>
      </section>
      {problems.length === 0 && (
        <PreflightCheck
          config={config as CallRequest<'runs.preflight'>['config']}
          onResult={(r) =>
            setMeasured(
              r.measuredTokensPerSecond
                ? { for: configKey, speed: { tokensPerSecond: r.measuredTokensPerSecond, secondsPerStep: r.measuredSecondsPerStep ?? null } }
                : null,
            )
          }
        />
      )}
      {problems.length > 0 && (
        <div className="alert bad" role="alert">
          <ul className="errors">
            {problems.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
        </div>
      )}
      <ErrorNote error={error} title="Could not start" />
      <div>
        <button type="button" className="primary" onClick={start} disabled={starting || problems.length > 0}>
          {starting ? 'Starting…' : 'Start training'}
        </button>
      </div>
    </div>
  );
}

/**
 * The draft with derived values filled in, without empty ones (the trainer's defaults apply) and
 * without other methods' settings (a Freeze setting left from a preset never reaches a LoRA run) —
 * the host validates the rest.
 */
export function toRunConfig(draft: RunConfigDraft): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(forMethod(withDerived(draft)))) {
    if (v === null || v === '' || (typeof v === 'number' && !Number.isFinite(v))) continue;
    out[k] = v;
  }
  return out;
}
