// Wizard step 2: the data. Pick a file; it is checked by the trainer itself: every bad line with
// its number, a preview of samples exactly as the model sees them (prompt / answer / cut off) and
// a token-length histogram with the max_len cut.
import { useState } from 'react';
import type { DataCheckReport } from '../../../../electron/shared/contract/datasets';
import { useApi } from '../../api-context';
import { ErrorNote } from '../../components/ErrorNote';
import { PathPicker } from '../../components/PathPicker';
import { toUiError } from '../../components/useCall';
import { useDataStatsStore } from '../../stores/data-stats-store';
import { effectiveMaxSrcLen } from '../../stores/train-settings';
import { useWizardStore } from '../../stores/wizard-store';
import { LengthHistogram } from './LengthHistogram';

export function DataStep() {
  const api = useApi();
  const draft = useWizardStore((s) => s.draft);
  const setData = useWizardStore((s) => s.setData);
  const set = useWizardStore((s) => s.set);
  const [report, setReport] = useState<DataCheckReport | null>(null);
  const [error, setError] = useState<{ message: string; hint?: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const path = typeof draft.train_path === 'string' ? draft.train_path : '';

  const check = async (trainPath: string) => {
    setBusy(true);
    setError(null);
    setReport(null);
    setData(trainPath, false);
    try {
      const r = await api.invoke('datasets.check', {
        trainPath,
        ...(typeof draft.model_name_or_path === 'string' ? { modelDir: draft.model_name_or_path } : {}),
        ...(typeof draft.max_len === 'number' ? { maxLen: draft.max_len } : {}),
        ...(typeof effectiveMaxSrcLen(draft) === 'number' ? { maxSrcLen: effectiveMaxSrcLen(draft) as number } : {}),
        ...(typeof draft.mode === 'string' && draft.mode ? { mode: draft.mode as 'glm' | 'glm2' | 'glm3' } : {}),
        preview: 3,
      });
      setReport(r);
      setData(trainPath, r.ok && r.samples > 0);
      // For the review step's time estimate: how many samples train, and how long they are.
      useDataStatsStore.getState().record({ trainPath, samples: r.stats?.kept ?? r.samples, meanTokens: r.stats?.mean_tokens || null });
    } catch (e) {
      setError(toUiError(e));
    } finally {
      setBusy(false);
    }
  };

  const skipBad = draft.skip_bad_lines === true;
  return (
    <div className="stack">
      <p className="help">Choose your training data: JSON lines with instruction / input / output (as the ChatGLM scripts used), an Alpaca-style array, or chat messages.</p>
      <PathPicker label="Data file" kind="file" purpose="data" value={path} onChange={check} />
      {busy && <p className="help">Checking every line…</p>}
      <ErrorNote error={error} title="Could not check the file" />
      {report && <DataReport report={report} />}
      {report && !report.ok && report.samples > 0 && (
        <label className="row" style={{ gap: 6 }}>
          <input
            type="checkbox"
            checked={skipBad}
            onChange={(e) => {
              set('skip_bad_lines', e.target.checked);
              setData(path, e.target.checked);
            }}
          />
          Train on the {report.samples} valid samples and skip the {report.problemCount} bad line(s)
        </label>
      )}
    </div>
  );
}

function DataReport({ report }: { report: DataCheckReport }) {
  return (
    <div className="stack" data-testid="data-report" data-ok={report.ok}>
      {report.error && <ErrorNote error={{ message: report.error.message, hint: report.error.hint }} />}
      {report.problemCount > 0 ? (
        <div className="alert bad" role="alert" data-testid="data-problems">
          <strong>
            {report.problemCount} problem{report.problemCount === 1 ? '' : 's'} in the file
          </strong>
          <ul className="errors">
            {report.problems.map((p) => (
              <li key={`${p.file}:${p.line}:${p.reason}`}>
                line {p.line}: {p.reason}
              </li>
            ))}
          </ul>
          {report.problemCount > report.problems.length && <p className="help">…and {report.problemCount - report.problems.length} more.</p>}
        </div>
      ) : (
        <div className="alert ok">
          {report.samples} samples{report.format ? ` (${report.format})` : ''}, no problems.
        </div>
      )}
      {report.histogram && (
        <section className="card" aria-label="Token lengths">
          <h3>Token lengths</h3>
          <p className="help">
            {report.histogram.over_max_len === 0
              ? `Every sample fits in ${report.histogram.max_len} tokens (longest: ${report.histogram.longest}).`
              : `${(report.histogram.share_over_max_len * 100).toFixed(1)}% of samples (${report.histogram.over_max_len}) are longer than ${report.histogram.max_len} tokens and will be cut.`}
          </p>
          <LengthHistogram histogram={report.histogram} />
        </section>
      )}
      {report.preview.length > 0 && (
        <section className="card" aria-label="Samples as the model sees them">
          <h3>Samples as the model sees them</h3>
          <p className="help">
            <span className="sample">
              <span className="prompt">prompt (not learnt)</span> · <span className="answer">answer (learnt)</span> · <span className="truncated">✂ cut off</span>
            </span>
            {report.mode ? ` · template: ${report.mode}` : ''}
          </p>
          {report.preview.map((p) => (
            <div key={p.line} className="sample" style={{ borderTop: '1px solid var(--border)', padding: '6px 0' }}>
              <div className="help" style={{ fontSize: '0.8rem' }}>
                line {p.line} · {p.tokens} tokens{p.truncated ? ' · cut to max length' : ''}
              </div>
              <pre className="mono">
                {p.segments.map((s, i) => (
                  <span key={i} className={s.kind === 'special' ? 'help' : s.kind}>
                    {s.kind === 'truncated' ? `✂${s.text}` : s.text}
                  </span>
                ))}
              </pre>
            </div>
          ))}
        </section>
      )}
    </div>
  );
}
