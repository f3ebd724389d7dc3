// Wizard step 2: the data. Pick a file; it is checked by the trainer itself: every bad line with
// its number, a preview of samples exactly as the model sees them (prompt / answer / cut off) and
// a token-length histogram with the max_len cut.
import { useState } from 'react';
import type { DataCheckReport } from '../../../../electron/shared/contract/datasets';
import { useApi } from '../../api-context';
import { ErrorNote } from '../../components/ErrorNote';
import { PathPicker } from '../../components/PathPicker';
import { toUiError } from '../../components/useCall';
import { useDataStatsStore } from './data-stats-store';
import { effectiveMaxSrcLen } from '../../shared-state/train-settings';
import { useWizardStore } from './wizard-store';
import { DataReport } from './DataReport';

export function DataStep() {
  const api = useApi();
  const draft = useWizardStore((s) => s.draft);
  const setData = useWizardStore((s) => s.setData);
  const set = useWizardStore((s) => s.set);
  const [report, setReport] = useState<DataCheckReport | null>(null);
  const [error, setError] = useState<{ message: string; hint?: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const path = typeof draft.train_path === 'string' ? draft.train_path : '';
  const skipBad = draft.skip_bad_lines === true;
  const dropEmpty = draft.drop_empty_output === true;

  const check = async (trainPath: string, options: { dropEmpty?: boolean } = {}) => {
    const dropEmptyOutput = options.dropEmpty ?? dropEmpty;
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
        ...(dropEmptyOutput ? { dropEmptyOutput: true } : {}),
        preview: 3,
      });
      setReport(r);
      setData(trainPath, dataUsable(r, skipBad));
      // For the review step's time estimate: how many samples train, and how long they are.
      useDataStatsStore.getState().record({ trainPath, samples: r.stats?.kept ?? r.samples, meanTokens: r.stats?.mean_tokens || null });
    } catch (e) {
      setError(toUiError(e));
    } finally {
      setBusy(false);
    }
  };

  // A report about another path than the one typed would mislead: it goes as soon as the path changes.
  const edited = (text: string) => {
    if (text.trim() === path) return;
    setReport(null);
    setError(null);
    if (useWizardStore.getState().dataOk) setData(path, false);
  };

  return (
    <div className="stack">
      <p className="help">Choose your training data: JSON lines with instruction / input / output (as the ChatGLM scripts used), an Alpaca-style array, or chat messages.</p>
      <PathPicker label="Data file" kind="file" purpose="data" value={path} onChange={(p) => void check(p)} onEdit={edited} />
      <fieldset className="row data-options" style={{ gap: 16, border: 0, padding: 0 }}>
        <legend className="help">How the trainer treats problem lines</legend>
        <label className="row" style={{ gap: 6 }}>
          <input
            type="checkbox"
            checked={dropEmpty}
            onChange={(e) => {
              set('drop_empty_output', e.target.checked || null);
              // Leaving empty answers out changes what trains: check again with the new rule.
              if (path && report) void check(path, { dropEmpty: e.target.checked });
            }}
          />
          Leave out samples with an empty answer
        </label>
        <label className="row" style={{ gap: 6 }}>
          <input
            type="checkbox"
            checked={skipBad}
            onChange={(e) => {
              set('skip_bad_lines', e.target.checked || null);
              if (report) setData(path, dataUsable(report, e.target.checked));
            }}
          />
          {report && !report.ok && report.samples > 0
            ? `Train on the ${report.samples} valid samples and skip the ${report.problemCount} bad line(s)`
            : 'Skip bad lines (they are listed in the run’s bad_lines.txt)'}
        </label>
      </fieldset>
      {busy && <p className="help">Checking every line…</p>}
      <ErrorNote error={error} title="Could not check the file" />
      {report && <DataReport report={report} maxLen={typeof draft.max_len === 'number' ? draft.max_len : null} maxSrcLen={effectiveMaxSrcLen(draft)} />}
    </div>
  );
}

/** The data can be trained on: no problems, or problems the user chose to skip (with samples left). */
function dataUsable(report: DataCheckReport, skipBad: boolean): boolean {
  if (report.samples === 0 || report.error) return false;
  return report.ok || (skipBad && report.problemCount > 0);
}
