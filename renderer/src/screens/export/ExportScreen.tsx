// Export: choose a run's checkpoint, the format (Hugging Face safetensors; GGUF for llama.cpp where
// the family is supported), the dtype and where to write; a progress bar, then the verification
// result — an export is only called done when its logits match the trained model.
import { useEffect, useMemo, useState } from 'react';
import type { CallRequest } from '../../api';
import { useApi } from '../../api-context';
import { ErrorNote } from '../../components/ErrorNote';
import { ProgressBar } from '../../components/ProgressBar';
import { toUiError, useCall } from '../../components/useCall';
import { useJobEvents } from '../../components/useJobEvents';
import { navigate } from '../../route';
import { VerificationCard } from './VerificationCard';

type Dtype = NonNullable<CallRequest<'export.start'>['dtype']>;
const GGUF_QUANTS: readonly Dtype[] = ['q8_0', 'q5_0', 'q4_0'];

export function ExportScreen({ runId: initialRun, checkpoint: initialCheckpoint }: { runId?: string; checkpoint?: string }) {
  const api = useApi();
  const runs = useCall('runs.list', {});
  const [runId, setRunId] = useState(initialRun ?? '');
  const [checkpoint, setCheckpoint] = useState(initialCheckpoint ?? '');
  const [format, setFormat] = useState<'hf' | 'gguf'>('hf');
  const [dtype, setDtype] = useState<Dtype>('fp16');
  const [out, setOut] = useState('');
  const [jobId, setJobId] = useState<string | null>(null);
  const [error, setError] = useState<{ message: string; hint?: string } | null>(null);
  const jobs = useJobEvents('export.progress');
  const { listen } = jobs;
  useEffect(() => listen(), [listen]);

  const exportable = useMemo(() => (runs.data?.runs ?? []).filter((r) => r.checkpoints.some((c) => c.complete)), [runs.data]);
  const run = exportable.find((r) => r.runId === runId) ?? exportable[0];
  const checkpoints = run?.checkpoints.filter((c) => c.complete) ?? [];
  const chosenCheckpoint = checkpoints.some((c) => c.name === checkpoint) ? checkpoint : (checkpoints.at(-1)?.name ?? '');
  const exports = useCall('export.list', run ? { runId: run.runId } : null);

  const events = jobs.eventsOf(jobId);
  const last = events.at(-1);
  const outcome = events.find((e) => e.done)?.outcome;
  const running = jobId !== null && !outcome;
  const { reload: reloadExports } = exports;
  useEffect(() => {
    if (outcome) reloadExports();
  }, [outcome, reloadExports]);

  const start = async () => {
    if (!run) return;
    setError(null);
    setJobId(null);
    try {
      const request: CallRequest<'export.start'> = { runId: run.runId, format, dtype: format === 'hf' && GGUF_QUANTS.includes(dtype) ? 'fp16' : dtype, force: false };
      if (chosenCheckpoint) request.checkpoint = chosenCheckpoint;
      if (out.trim()) request.out = out.trim();
      const r = await api.invoke('export.start', request);
      setJobId(r.jobId);
    } catch (e) {
      setError(toUiError(e));
    }
  };

  return (
    <div className="stack">
      <header className="screen-header">
        <h1>Export</h1>
        <p className="help">Write a trained checkpoint out as a model that loads anywhere. Every export is checked against the trained model before it is called done.</p>
      </header>
      <ErrorNote error={runs.error} />
      {runs.data && exportable.length === 0 && <p className="help">No run has a complete checkpoint yet.</p>}
      {run && (
        <section className="card stack" aria-label="What to export">
          <div className="grid" style={{ gridTemplateColumns: 'repeat(auto-fill, minmax(220px, 1fr))' }}>
            <label className="field">
              <span>Run</span>
              <select value={run.runId} onChange={(e) => setRunId(e.target.value)}>
                {exportable.map((r) => (
                  <option key={r.runId} value={r.runId}>
                    {r.runId} ({r.method ?? '?'})
                  </option>
                ))}
              </select>
            </label>
            <label className="field">
              <span>Checkpoint</span>
              <select value={chosenCheckpoint} onChange={(e) => setCheckpoint(e.target.value)}>
                {checkpoints.map((c) => (
                  <option key={c.name} value={c.name}>
                    {c.name}
                    {c.loss !== null ? ` — last-step loss ${c.loss.toFixed(4)}` : ''}
                  </option>
                ))}
              </select>
            </label>
            <label className="field">
              <span>Format</span>
              <select value={format} onChange={(e) => setFormat(e.target.value as 'hf' | 'gguf')}>
                <option value="hf">Hugging Face (safetensors)</option>
                <option value="gguf">GGUF (llama.cpp, Ollama; Llama, Mistral, Qwen, Gemma, Phi-3, GLM)</option>
              </select>
            </label>
            <label className="field">
              <span>Precision</span>
              <select value={dtype} onChange={(e) => setDtype(e.target.value as Dtype)}>
                <option value="fp16">fp16</option>
                <option value="bf16">bf16</option>
                <option value="fp32">fp32</option>
                {format === 'gguf' && (
                  <>
                    <option value="q8_0">q8_0 (8-bit, near-lossless)</option>
                    <option value="q5_0">q5_0 (5-bit)</option>
                    <option value="q4_0">q4_0 (4-bit, smallest)</option>
                  </>
                )}
              </select>
            </label>
          </div>
          <label className="field">
            <span>Destination folder (empty: inside the run folder, under exports/)</span>
            <input value={out} onChange={(e) => setOut(e.target.value)} placeholder="/path/to/new/folder" spellCheck={false} />
          </label>
          {run.method === 'ptuning' && (
            <p className="alert">P-Tuning prefixes cannot be merged into the weights: the export is the base model reference plus the prefix as a peft adapter, with a README on how to load it.</p>
          )}
          <div>
            <button type="button" className="primary" onClick={start} disabled={running}>
              {running ? 'Exporting…' : 'Export'}
            </button>
          </div>
        </section>
      )}
      <ErrorNote error={error} title="Could not start the export" />
      {jobId && (
        <section className="card stack" aria-label="Export progress" data-testid="export-progress" data-status={outcome?.status ?? 'running'}>
          <div className="row" style={{ justifyContent: 'space-between' }}>
            <span>{outcome ? `Export ${outcome.status}` : `${last?.stage ?? 'starting'}…`}</span>
            <span className="num help">{Math.round((outcome ? 1 : (last?.fraction ?? 0)) * 100)}%</span>
          </div>
          <ProgressBar fraction={outcome ? 1 : (last?.fraction ?? 0)} label="Export progress" tone={outcome ? (outcome.status === 'completed' ? 'ok' : 'bad') : undefined} />
          {events
            .filter((e) => e.message)
            .slice(-5)
            .map((e, i) => (
              <p key={i} className="help">
                {e.message}
              </p>
            ))}
          {outcome && <VerificationCard outcome={outcome} />}
          {outcome?.status === 'completed' && run && (
            <div className="row">
              <button type="button" onClick={() => navigate({ screen: 'try', runId: run.runId })}>
                Try it
              </button>
            </div>
          )}
        </section>
      )}
      {exports.data && exports.data.exports.length > 0 && (
        <section className="card" aria-label="Exports of this run">
          <h3>Exports of this run</h3>
          <table className="table" data-testid="exports-table">
            <thead>
              <tr>
                <th scope="col">Folder</th>
                <th scope="col">Format</th>
                <th scope="col">Step</th>
                <th scope="col">Verified</th>
              </tr>
            </thead>
            <tbody>
              {exports.data.exports.map((x) => (
                <tr key={x.path}>
                  <td className="mono" title={x.path}>
                    {x.name}
                  </td>
                  <td>
                    {x.format ?? '?'} {x.dtype ?? ''}
                  </td>
                  <td className="num">{x.step ?? '?'}</td>
                  <td>
                    {x.passed === null ? '—' : x.passed ? <span className="badge ok">passed</span> : <span className="badge bad">failed</span>}
                    {x.maxAbsLogitDiff !== null && <span className="help num"> max |Δlogit| {x.maxAbsLogitDiff.toExponential(2)}</span>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </div>
  );
}
