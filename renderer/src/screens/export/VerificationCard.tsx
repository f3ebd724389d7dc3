// The verification record of an export in plain words: what was compared (the next-token scores
// of the exported model and of the model as trained, on which prompts), how far apart they are
// against the allowed rounding, and the training effect (how far training moved the model from its
// base), which is what the export must carry.
import type { TopicEvent } from '../../api';
import { ErrorNote } from '../../components/ErrorNote';

export type ExportOutcome = NonNullable<TopicEvent<'export.progress'>['outcome']>;

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
/** 3 significant digits, plain notation where it reads well (0.0123, 1.23, 4.5e-6). */
export const short = (v: number): string => (v !== 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e4) ? v.toExponential(2) : String(Number(v.toPrecision(3))));

/** The sentences of the card, from the trainer's verification record (export.json "verification"). */
export function verificationWords(v: Record<string, unknown>): { verdict: string; compared: string; difference: string | null; effect: string | null; reason: string | null } {
  const diff = num(v.max_abs_logit_diff);
  const tol = num(v.tolerance);
  const effect = num(v.training_effect);
  const vsBase = num(v.max_abs_diff_vs_base);
  const samples = Array.isArray(v.samples) ? v.samples.length : num(v.samples);
  const dtype = typeof v.dtype === 'string' ? v.dtype : null;
  const fromData = v.samples_source === 'train_path';
  const passed = v.passed === true;
  const prompts = samples === null ? 'a few prompts' : `${samples} prompt${samples === 1 ? '' : 's'}`;
  return {
    verdict: passed ? 'Verified: the exported model computes what the trained model computed.' : 'Not verified: the exported model does not compute what the trained model computed.',
    compared:
      `Compared: the next-token scores (logits) at every position of ${prompts} ${fromData ? 'from your training data' : '(built-in examples: the run’s data file was not found)'}, ` +
      `from the exported model${dtype ? ` (${dtype})` : ''} and from the model as it was at the end of training.`,
    difference:
      diff === null
        ? null
        : `They differ by at most ${short(diff)}${tol !== null ? `; up to ${short(tol)} is allowed for ${dtype ?? 'this precision'}'s rounding` : ''}.`,
    effect:
      effect === null
        ? 'Training effect: not measured (the base model was not compared).'
        : `Training effect: training moved these scores by up to ${short(effect)} away from the base model` +
          (diff !== null && diff > 0 ? ` — ${short(effect / diff)}× the export’s difference` : '') +
          (vsBase !== null ? `; the export is ${short(vsBase)} away from the base, so it carries what training changed.` : '.'),
    reason: typeof v.reason === 'string' && v.reason ? v.reason : null,
  };
}

export function VerificationCard({ outcome }: { outcome: ExportOutcome }) {
  const v = 'verification' in outcome ? (outcome.verification ?? {}) : {};
  const passed = v.passed === true;
  const hasRecord = Object.keys(v).length > 0;
  const words = verificationWords(v);
  const texts = Array.isArray(v.sample_texts) ? v.sample_texts.filter((t): t is string => typeof t === 'string') : [];
  return (
    <div className="stack" data-testid="verification" data-passed={passed}>
      {hasRecord && outcome.status !== 'cancelled' && (
        <div className={`alert ${passed ? 'ok' : 'bad'}`} data-testid="verification-words">
          <strong>{words.verdict}</strong>
          {!passed && words.reason && <p style={{ margin: '4px 0' }}>Why: {words.reason}.</p>}
          <p style={{ margin: '4px 0' }}>{words.compared}</p>
          {words.difference && <p style={{ margin: '4px 0' }}>{words.difference}</p>}
          {words.effect && <p style={{ margin: '4px 0' }}>{words.effect}</p>}
          {texts.length > 0 && (
            <details>
              <summary>The prompts compared</summary>
              <ul className="errors">
                {texts.map((t, i) => (
                  <li key={i}>{t}</li>
                ))}
              </ul>
            </details>
          )}
          {outcome.status === 'completed' && (
            <div className="mono help" style={{ marginTop: 4 }}>
              {outcome.out}
            </div>
          )}
        </div>
      )}
      {outcome.status === 'completed' && !hasRecord && <div className="alert bad">Not verified: the trainer reported no comparison.</div>}
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
