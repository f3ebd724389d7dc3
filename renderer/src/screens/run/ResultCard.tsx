// How a run ended, in plain words, with the next step: completed / cancelled / failed (classified
// reason + suggested fix) / crashed (log tail + resume from the last checkpoint).
import type { ClassifiedError } from '../../../../electron/shared/events';
import { LogTail } from '../../components/LogTail';
import type { RunStatus } from '../../shared-state/run-events';

export interface ResultCardProps {
  status: RunStatus;
  step: number;
  /** The lowest logged loss and its step (each logged loss averages the steps since the previous report). */
  best: { loss: number; step: number } | null;
  /** show_loss_step: how many steps each logged loss averages. */
  reportEvery?: number | null;
  lastCheckpoint: string | null;
  error: ClassifiedError | null;
  logTail: readonly string[];
  onResume?: () => void;
  onExport?: () => void;
  onTry?: () => void;
}

const ERROR_TITLES: Record<string, string> = {
  oom: 'Out of memory',
  data: 'A problem in the data',
  config: 'A setting is not valid',
  nan: 'The loss became NaN',
  disk_full: 'The disk is full',
  dependency: 'Something is not installed',
  runtime: 'The trainer stopped with an error',
  interrupted: 'Interrupted',
  verification: 'Verification failed',
};

export function ResultCard({ status, step, best, reportEvery = null, lastCheckpoint, error, logTail, onResume, onExport, onTry }: ResultCardProps) {
  if (status === 'running' || status === 'queued' || status === 'idle') return null;
  // The buttons name the checkpoint they act on (step-000300), not just "the last one".
  const checkpointName = lastCheckpoint?.split('/').at(-1) ?? '';
  const tone = status === 'completed' ? 'ok' : status === 'cancelled' ? '' : 'bad';
  return (
    <section className={`card alert ${tone}`} aria-label="Result" data-testid="result-card" data-status={status}>
      {status === 'completed' && (
        <>
          <h2>Training completed</h2>
          <p>
            {step} steps
            {best !== null
              ? `, best loss ${best.loss.toFixed(4)} at step ${best.step}${reportEvery && reportEvery > 1 ? ` (an average of ${reportEvery} steps)` : ''}`
              : ''}
            .{lastCheckpoint ? ` The final checkpoint is ${lastCheckpoint}; the loss listed with it is its last step's.` : ''}
          </p>
        </>
      )}
      {status === 'cancelled' && (
        <>
          <h2>Stopped at your request</h2>
          <p>
            Stopped after step {step}. {lastCheckpoint ? `A checkpoint was saved (${lastCheckpoint}); you can resume from it.` : 'No checkpoint was saved.'}
          </p>
        </>
      )}
      {status === 'failed' && (
        <>
          <h2>{error ? (ERROR_TITLES[error.kind] ?? 'Failed') : 'Failed'}</h2>
          <p>{error?.message ?? 'The trainer reported a failure without details.'}</p>
          {error?.hint && (
            <p>
              <strong>What to do: </strong>
              {error.hint}
            </p>
          )}
        </>
      )}
      {status === 'crashed' && (
        <>
          <h2>The trainer stopped unexpectedly</h2>
          <p>
            The process ended without saying why (killed, or the machine ran out of memory). The end of its log is below.
            {lastCheckpoint ? ' You can resume from the last complete checkpoint.' : ''}
          </p>
          <LogTail lines={logTail.map((text) => ({ text }))} label="End of train.log" />
        </>
      )}
      {status === 'failed' && logTail.length > 0 && <LogTail lines={logTail.map((text) => ({ text }))} label="End of train.log" />}
      <div className="row" style={{ marginTop: 8 }}>
        {onResume && lastCheckpoint && status !== 'completed' && (
          <button type="button" className="primary" onClick={onResume}>
            Resume from {checkpointName}
          </button>
        )}
        {onExport && lastCheckpoint && (
          <button type="button" className={status === 'completed' ? 'primary' : ''} onClick={onExport}>
            Export {checkpointName}…
          </button>
        )}
        {onTry && lastCheckpoint && (
          <button type="button" onClick={onTry}>
            Try {checkpointName}
          </button>
        )}
      </div>
    </section>
  );
}
