// Try: a multi-turn chat with a run's checkpoint or one of its exports, streamed as it is
// generated, with temperature, top-p and max new tokens; optionally the base model answers the same
// conversation beside it. Each answer shows that it is generating and how fast (tokens/s).
import { useEffect, useMemo, useState } from 'react';
import type { CallResponse } from '../../api';
import { useApi } from '../../api-context';
import { ErrorNote } from '../../components/ErrorNote';
import { toUiError, useCall } from '../../components/useCall';
import { useJobEvents } from '../../components/useJobEvents';
import { ChatAnswerView } from './ChatAnswerView';
import { answerFromEvents, chatHistory, DEFAULT_SAMPLING, newAnswer, samplingProblems, samplingRequest, type ChatAnswer, type ChatTurn, type SamplingSettings } from './chat-turns';
import { SamplingFields } from './SamplingFields';

/** The model to talk to: "checkpoint:<name>" or "export:<name>" of the chosen run. */
type SourceKey = string;

export function TryScreen({ runId: initialRun, checkpoint: initialCheckpoint }: { runId?: string; checkpoint?: string }) {
  const api = useApi();
  const runs = useCall('runs.list', {});
  const [runId, setRunId] = useState(initialRun ?? '');
  const [source, setSource] = useState<SourceKey>(initialCheckpoint ? `checkpoint:${initialCheckpoint}` : '');
  const [prompt, setPrompt] = useState('');
  const [sampling, setSampling] = useState<SamplingSettings>(DEFAULT_SAMPLING);
  const [withBase, setWithBase] = useState(false);
  const [turns, setTurns] = useState<ChatTurn[]>([]);
  const [error, setError] = useState<{ message: string; hint?: string } | null>(null);
  const [now, setNow] = useState(nowSeconds);
  const stream = useJobEvents('predict.tokens');
  const { listen } = stream;
  useEffect(() => listen(), [listen]);

  const usable = useMemo(() => (runs.data?.runs ?? []).filter((r) => r.checkpoints.some((c) => c.complete)), [runs.data]);
  const run = usable.find((r) => r.runId === runId) ?? usable[0];
  const exports = useExports(run?.runId ?? null);
  const checkpoints = run?.checkpoints.filter((c) => c.complete) ?? [];
  const usableExports = exports.filter((e) => e.kind !== 'gguf' && e.format !== 'gguf');
  const chosenCheckpoint = checkpoints.find((c) => `checkpoint:${c.name}` === source) ?? (source.startsWith('export:') ? undefined : checkpoints.at(-1));
  const chosenExport = usableExports.find((e) => `export:${e.name}` === source);
  const modelPath = chosenExport?.path ?? chosenCheckpoint?.absolutePath ?? null;
  const modelName = chosenExport ? `export ${chosenExport.name}` : chosenCheckpoint ? chosenCheckpoint.name : '';

  // Answers as they stream: each turn folds its jobs' events.
  const shown = turns.map((t) => ({
    ...t,
    tuned: t.tuned.done ? t.tuned : answerFromEvents(t.tuned, stream.eventsOf(t.tuned.jobId), now),
    base: t.base && !t.base.done ? answerFromEvents(t.base, stream.eventsOf(t.base.jobId), now) : t.base,
  }));
  const generating = shown.some((t) => !t.tuned.done || (t.base && !t.base.done));
  useEffect(() => {
    if (!generating) return;
    const timer = setInterval(() => setNow(nowSeconds()), 250);
    return () => clearInterval(timer);
  }, [generating]);

  const problems = samplingProblems(sampling);
  const canAsk = Boolean(run && modelPath && prompt.trim() && !generating && Object.keys(problems).length === 0);

  const ask = async () => {
    if (!canAsk || !run || !modelPath) return;
    setError(null);
    const question = prompt.trim();
    const done = shown; // the completed turns, as shown now, are the history
    const start = nowSeconds();
    const turn: ChatTurn = { question, tuned: newAnswer(start), base: withBase && run.model ? newAnswer(start) : null };
    setTurns([...done, turn]);
    setPrompt('');
    const common = { prompt: question, ...samplingRequest(sampling) };
    const startJob = async (model: string, which: 'tuned' | 'base') => {
      const history = chatHistory(done, which);
      const r = await api.invoke('predict.start', { ...common, model, ...(history.length ? { history } : {}) });
      setTurns((all) => all.map((t, i) => (i === all.length - 1 ? { ...t, [which]: { ...(t[which] as ChatAnswer), jobId: r.jobId } } : t)));
    };
    try {
      await startJob(modelPath, 'tuned');
      if (turn.base && run.model) await startJob(run.model, 'base');
    } catch (e) {
      setError(toUiError(e));
      setTurns((all) => all.slice(0, -1));
      setPrompt(question);
    }
  };
  const stop = () => {
    for (const t of shown) for (const a of [t.tuned, t.base]) if (a && !a.done && a.jobId) void api.invoke('predict.cancel', { jobId: a.jobId }).catch(() => undefined);
  };
  return (
    <div className="stack">
      <header className="screen-header">
        <h1>Try</h1>
        <p className="help">Chat with a trained checkpoint or an export of it. Each question continues the conversation; tick “base model too” to see what training changed.</p>
      </header>
      <ErrorNote error={runs.error} />
      {runs.data && usable.length === 0 && <p className="help">No run has a complete checkpoint yet.</p>}
      {run && (
        <section className="card stack" aria-label="What to talk to">
          <div className="row">
            <label className="field">
              <span>Run</span>
              <select
                value={run.runId}
                onChange={(e) => {
                  setRunId(e.target.value);
                  setSource('');
                  setTurns([]);
                }}
              >
                {usable.map((r) => (
                  <option key={r.runId} value={r.runId}>
                    {r.runId}
                  </option>
                ))}
              </select>
            </label>
            <label className="field">
              <span>Model</span>
              <select
                value={chosenExport ? `export:${chosenExport.name}` : `checkpoint:${chosenCheckpoint?.name ?? ''}`}
                onChange={(e) => {
                  setSource(e.target.value);
                  setTurns([]);
                }}
              >
                <optgroup label="Checkpoints">
                  {checkpoints.map((c) => (
                    <option key={c.name} value={`checkpoint:${c.name}`}>
                      {c.name}
                      {c.loss !== null ? ` (last-step loss ${c.loss.toFixed(4)})` : ''}
                    </option>
                  ))}
                </optgroup>
                {usableExports.length > 0 && (
                  <optgroup label="Exports">
                    {usableExports.map((x) => (
                      <option key={x.name} value={`export:${x.name}`}>
                        {x.name}
                        {x.dtype ? ` (${x.dtype})` : ''}
                      </option>
                    ))}
                  </optgroup>
                )}
              </select>
            </label>
            <label className="row" style={{ gap: 6 }}>
              <input type="checkbox" checked={withBase} onChange={(e) => setWithBase(e.target.checked)} disabled={!run.model} />
              Base model too
            </label>
          </div>
          <SamplingFields value={sampling} onChange={setSampling} problems={problems} />
        </section>
      )}
      {shown.length > 0 && (
        <section className="card stack chat" aria-label="Conversation" data-testid="chat">
          {shown.map((t, i) => (
            <div key={i} className="stack chat-turn" data-testid="chat-turn">
              <div className="chat-question">
                <span className="sr-only">You: </span>
                {t.question}
              </div>
              <div className={t.base ? 'grid chat-answers' : undefined}>
                <ChatAnswerView title={t.base ? `Tuned (${modelName})` : modelName} answer={t.tuned} testId="answer-tuned" />
                {t.base && <ChatAnswerView title="Base model" answer={t.base} testId="answer-base" />}
              </div>
            </div>
          ))}
          <div className="row">
            {generating && (
              <button type="button" onClick={stop}>
                Stop generating
              </button>
            )}
            {!generating && (
              <button type="button" onClick={() => setTurns([])}>
                New conversation
              </button>
            )}
          </div>
        </section>
      )}
      <ErrorNote error={error} title="Could not generate" />
      {run && (
        <section className="card stack" aria-label="Ask">
          <label className="field">
            <span>{shown.length ? 'Next question' : 'Question'}</span>
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
            <button type="button" className="primary" onClick={ask} disabled={!canAsk}>
              {generating ? 'Generating…' : 'Ask'}
            </button>
            <span className="help">Ctrl+Enter</span>
          </div>
        </section>
      )}
    </div>
  );
}

const nowSeconds = () => Date.now() / 1000;

/** The run's exports (export.list); none while loading or when the run has none. */
function useExports(runId: string | null) {
  const api = useApi();
  const [exports, setExports] = useState<{ runId: string; list: CallResponse<'export.list'>['exports'] }>({ runId: '', list: [] });
  useEffect(() => {
    if (!runId) return;
    let cancelled = false;
    api.invoke('export.list', { runId }).then(
      (r) => !cancelled && setExports({ runId, list: r.exports }),
      () => !cancelled && setExports({ runId, list: [] }),
    );
    return () => {
      cancelled = true;
    };
  }, [api, runId]);
  return exports.runId === runId ? exports.list : [];
}
