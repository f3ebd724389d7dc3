// Try: one prompt, answered by the tuned checkpoint and by the base model side by side, both
// streamed as they are generated (greedy, with the run's own prompt template).
import { useEffect, useMemo, useState } from 'react';
import type { CallRequest } from '../../api';
import { useApi } from '../../api-context';
import { ErrorNote } from '../../components/ErrorNote';
import { toUiError, useCall } from '../../components/useCall';
import { useJobEvents } from '../../components/useJobEvents';

export function TryScreen({ runId: initialRun, checkpoint: initialCheckpoint }: { runId?: string; checkpoint?: string }) {
  const api = useApi();
  const runs = useCall('runs.list', {});
  const [runId, setRunId] = useState(initialRun ?? '');
  const [checkpoint, setCheckpoint] = useState(initialCheckpoint ?? '');
  const [prompt, setPrompt] = useState('');
  const [jobs, setJobs] = useState<{ tuned: string | null; base: string | null }>({ tuned: null, base: null });
  const [error, setError] = useState<{ message: string; hint?: string } | null>(null);
  const stream = useJobEvents('predict.tokens');
  const { listen } = stream;
  useEffect(() => listen(), [listen]);

  const usable = useMemo(() => (runs.data?.runs ?? []).filter((r) => r.checkpoints.some((c) => c.complete)), [runs.data]);
  const run = usable.find((r) => r.runId === runId) ?? usable[0];
  const checkpoints = run?.checkpoints.filter((c) => c.complete) ?? [];
  const chosen = checkpoints.find((c) => c.name === checkpoint) ?? checkpoints.at(-1);

  const ask = async () => {
    if (!run || !chosen || !prompt.trim()) return;
    setError(null);
    setJobs({ tuned: null, base: null });
    const common = { prompt, maxNewTokens: 64, greedy: true } satisfies Partial<CallRequest<'predict.start'>>;
    try {
      const tuned = await api.invoke('predict.start', { ...common, model: chosen.absolutePath });
      setJobs((j) => ({ ...j, tuned: tuned.jobId }));
      if (run.model) {
        const base = await api.invoke('predict.start', { ...common, model: run.model });
        setJobs((j) => ({ ...j, base: base.jobId }));
      }
    } catch (e) {
      setError(toUiError(e));
    }
  };

  return (
    <div className="stack">
      <header className="screen-header">
        <h1>Try</h1>
        <p className="help">Ask the tuned model something and compare its answer with the base model’s answer to the same prompt.</p>
      </header>
      <ErrorNote error={runs.error} />
      {runs.data && usable.length === 0 && <p className="help">No run has a complete checkpoint yet.</p>}
      {run && (
        <section className="card stack" aria-label="Ask a question">
          <div className="row">
            <label className="field">
              <span>Run</span>
              <select value={run.runId} onChange={(e) => setRunId(e.target.value)}>
                {usable.map((r) => (
                  <option key={r.runId} value={r.runId}>
                    {r.runId}
                  </option>
                ))}
              </select>
            </label>
            <label className="field">
              <span>Checkpoint</span>
              <select value={chosen?.name ?? ''} onChange={(e) => setCheckpoint(e.target.value)}>
                {checkpoints.map((c) => (
                  <option key={c.name} value={c.name}>
                    {c.name}
                  </option>
                ))}
              </select>
            </label>
          </div>
          <label className="field">
            <span>Prompt</span>
            <textarea
              value={prompt}
              onChange={(e) => setPrompt(e.target.value)}
              onKeyDown={(e) => {
                if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) void ask();
              }}
              placeholder="Translate to English: 鱼"
            />
          </label>
          <div className="row">
            <button type="button" className="primary" onClick={ask} disabled={!prompt.trim()}>
              Ask
            </button>
            <span className="help">Ctrl+Enter</span>
          </div>
        </section>
      )}
      <ErrorNote error={error} title="Could not generate" />
      {(jobs.tuned || jobs.base) && (
        <div className="grid" style={{ gridTemplateColumns: '1fr 1fr' }}>
          <Answer title={`Tuned (${chosen?.name ?? ''})`} events={stream.eventsOf(jobs.tuned)} testId="answer-tuned" />
          <Answer title="Base model" events={stream.eventsOf(jobs.base)} testId="answer-base" />
        </div>
      )}
    </div>
  );
}

function Answer({ title, events, testId }: { title: string; events: { index: number; text: string; done: boolean; outcome?: { status: string; text?: string; error?: { message: string; hint: string } } }[]; testId: string }) {
  const ordered = [...events].sort((a, b) => a.index - b.index);
  const done = ordered.find((e) => e.done);
  // The final event carries the whole answer; until then the pieces are joined in order.
  const text = done?.outcome?.text ?? ordered.map((e) => e.text).join('');
  const failed = done?.outcome?.status === 'failed' ? done.outcome.error : undefined;
  return (
    <section className="card" aria-label={title} data-testid={testId} data-done={done ? 'true' : 'false'}>
      <h3>{title}</h3>
      <pre className="mono" style={{ whiteSpace: 'pre-wrap', margin: 0 }} aria-live="polite">
        {text}
        {!done && <span className="help">▍</span>}
      </pre>
      {failed && <ErrorNote error={failed} />}
    </section>
  );
}
