// The review step's estimated training time: a range and where its speed comes from (a previous
// run on this machine, the memory check's two steps, or the device's compute), asked of the host
// again whenever the plan or a new measurement changes it.
import { useEffect, useState } from 'react';
import type { CallRequest, CallResponse } from '../../api';
import { useApi } from '../../api-context';
import { toUiError } from '../../components/useCall';
import { useDataStatsStore } from './data-stats-store';

type Estimate = CallResponse<'estimator.time'>;
export type MeasuredSpeed = NonNullable<CallRequest<'estimator.time'>['measured']>;

/** "40 s", "12 min", "3.5 h", "2.1 days": one unit, rounded to what an estimate can claim. */
export function formatDuration(seconds: number): string {
  if (seconds < 90) return `${Math.max(1, Math.round(seconds))} s`;
  const minutes = seconds / 60;
  if (minutes < 90) return `${Math.round(minutes)} min`;
  const hours = minutes / 60;
  if (hours < 48) return `${hours < 10 ? hours.toFixed(1).replace(/\.0$/, '') : Math.round(hours)} h`;
  const days = hours / 24;
  return `${days < 10 ? days.toFixed(1).replace(/\.0$/, '') : Math.round(days)} days`;
}

/** "about 12 min (8–20 min)"; the range keeps one unit when both ends share it. */
export function formatEstimate(e: Pick<Estimate, 'seconds' | 'lowSeconds' | 'highSeconds'>): string {
  if (e.seconds === null) return 'unknown';
  const central = formatDuration(e.seconds);
  if (e.lowSeconds === null || e.highSeconds === null) return `about ${central}`;
  const low = formatDuration(e.lowSeconds);
  const high = formatDuration(e.highSeconds);
  const unit = (s: string) => s.replace(/^[\d.]+ /, '');
  const range = unit(low) === unit(high) ? `${low.replace(/ .*$/, '')}–${high}` : `${low} – ${high}`;
  return low === high ? `about ${central}` : `about ${central} (${range})`;
}

export function TimeEstimate({ config, measured }: { config: CallRequest<'estimator.time'>['config']; measured: MeasuredSpeed | null }) {
  const api = useApi();
  const stats = useDataStatsStore((s) => s.stats);
  const [estimate, setEstimate] = useState<Estimate | null>(null);
  const [error, setError] = useState<string | null>(null);
  const data = stats && stats.trainPath === config.train_path && stats.meanTokens !== null ? { samples: stats.samples, meanTokens: stats.meanTokens } : null;
  // One key for everything the estimate depends on: a new key asks again, an answer to an old one is dropped.
  const key = JSON.stringify({ config, data, measured });

  useEffect(() => {
    let current = true;
    const request: CallRequest<'estimator.time'> = JSON.parse(key) as CallRequest<'estimator.time'>;
    if (!request.data) delete request.data;
    if (!request.measured) delete request.measured;
    // The previous estimate stays on screen until the new one arrives: no flicker while typing.
    api.invoke('estimator.time', request).then(
      (r) => {
        if (!current) return;
        setEstimate(r);
        setError(null);
      },
      (e: unknown) => {
        if (current) setError(toUiError(e).message);
      },
    );
    return () => {
      current = false;
    };
  }, [api, key]);

  return (
    <div className="time-estimate" data-testid="time-estimate" aria-live="polite">
      {error ? (
        <p>
          <strong>Estimated time:</strong> unknown <span className="help">— {error}</span>
        </p>
      ) : !estimate ? (
        <p className="help">Estimating the training time…</p>
      ) : (
        <>
          <p>
            <strong>Estimated time:</strong> {formatEstimate(estimate)} <span className="help">— {estimate.basis}</span>
          </p>
          <p className="help">
            {estimate.steps.toLocaleString('en-US')} optimizer step{estimate.steps === 1 ? '' : 's'} of about{' '}
            {Math.round(estimate.tokensPerStep).toLocaleString('en-US')} tokens
            {estimate.tokensPerSecond !== null && ` at about ${Math.round(estimate.tokensPerSecond).toLocaleString('en-US')} tokens/s`}; loading the model and
            saving checkpoints come on top. The dashboard refines the remaining time from the first steps.
          </p>
        </>
      )}
    </div>
  );
}
