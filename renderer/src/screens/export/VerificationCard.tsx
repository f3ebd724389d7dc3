// The verification record of an export in plain words: did the exported model reproduce the
// trained one (max |Δlogit| against the tolerance, on how many samples), and where it is.
import type { TopicEvent } from '../../api';
import { ErrorNote } from '../../components/ErrorNote';

export type ExportOutcome = NonNullable<TopicEvent<'export.progress'>['outcome']>;

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export function VerificationCard({ outcome }: { outcome: ExportOutcome }) {
  const v = 'verification' in outcome ? (outcome.verification ?? {}) : {};
  const diff = num(v.max_abs_logit_diff);
  const tol = num(v.tolerance);
  const samples = Array.isArray(v.samples) ? v.samples.length : num(v.samples);
  const passed = v.passed === true;
  return (
    <div className="stack" data-testid="verification" data-passed={passed}>
      {outcome.status === 'completed' && (
        <div className={`alert ${passed ? 'ok' : 'bad'}`}>
          <strong>{passed ? 'Verified' : 'Not verified'}: </strong>
          {diff !== null
            ? `the exported model's next-token logits differ from the trained model's by at most ${diff.toExponential(2)}${tol !== null ? ` (tolerance ${tol.toExponential(1)})` : ''}${samples !== null ? ` on ${samples} samples` : ''}.`
            : 'the trainer reported no logit comparison.'}
          <div className="mono help" style={{ marginTop: 4 }}>
            {outcome.out}
          </div>
        </div>
      )}
      {outcome.status === 'failed' && <ErrorNote error={{ message: outcome.error.message, hint: outcome.error.hint }} title="Export failed" />}
      {outcome.status === 'cancelled' && <div className="alert">Cancelled: nothing was left at the target.</div>}
      {outcome.messages.map((m) => (
        <p key={m} className="help">
          {m}
        </p>
      ))}
    </div>
  );
}
