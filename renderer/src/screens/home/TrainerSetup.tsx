// The trainer's Python environment: set it up (or repair it) from here, with a progress bar and
// the installer's own log streaming below.
import { useEffect, useState } from 'react';
import type { CallResponse } from '../../api';
import { useApi } from '../../api-context';
import { LogTail, type LogTailLine } from '../../components/LogTail';
import { ProgressBar } from '../../components/ProgressBar';
import { ErrorNote } from '../../components/ErrorNote';
import { toUiError } from '../../components/useCall';

export function TrainerSetup({ ready, detail, onDone }: { ready: boolean | null; detail?: string; onDone?: () => void }) {
  const api = useApi();
  const [running, setRunning] = useState(false);
  const [lines, setLines] = useState<LogTailLine[]>([]);
  // The installer's own "[tunedesk] step 1/2: ..." lines: where it is, as words and as a fraction.
  const [stage, setStage] = useState<{ text: string; fraction: number | null } | null>(null);
  const [result, setResult] = useState<Pick<CallResponse<'system.setupTrainer'>, 'ok' | 'message'> | null>(null);
  const [error, setError] = useState<{ message: string; hint?: string } | null>(null);

  useEffect(() => {
    if (!running) return;
    return api.subscribe('system.setupProgress', (e) => {
      setLines((prev) => [...prev.slice(-400), { text: e.line, level: e.stream === 'stderr' ? 'warning' : 'info' }]);
      const step = /^\[tunedesk\] step (\d+)\/(\d+): (.*)$/.exec(e.line);
      if (step) setStage({ text: `Step ${step[1]} of ${step[2]}: ${step[3]}`, fraction: (Number(step[1]) - 1) / Number(step[2]) });
    });
  }, [api, running]);

  const start = async () => {
    setRunning(true);
    setLines([]);
    setStage(null);
    setResult(null);
    setError(null);
    try {
      const r = await api.invoke('system.setupTrainer', {});
      setResult({ ok: r.ok, message: r.message });
      if (r.ok) onDone?.();
    } catch (e) {
      setError(toUiError(e));
    } finally {
      setRunning(false);
    }
  };

  return (
    <section className="card" aria-label="Trainer environment">
      <h2>Trainer environment</h2>
      <p className="help">The bundled Python trainer (PyTorch, transformers, peft) lives in its own environment.</p>
      <p>
        {ready === null ? 'Checking…' : ready ? <span className="badge ok">Ready</span> : <span className="badge bad">Not ready</span>}
        {detail && <span className="help"> {detail}</span>}
      </p>
      {(ready === false || running || result) && (
        <div className="stack">
          <button type="button" className={ready ? '' : 'primary'} onClick={start} disabled={running}>
            {running ? 'Setting up…' : ready ? 'Repair the environment' : 'Set up the trainer'}
          </button>
          {running && <ProgressBar fraction={stage?.fraction ?? null} label={stage?.text ?? 'Setting up the trainer'} />}
          {running && stage && <p className="help">{stage.text}</p>}
          {result && <div className={`alert ${result.ok ? 'ok' : 'bad'}`}>{result.message}</div>}
          <ErrorNote error={error} />
          {(running || lines.length > 0) && <LogTail lines={lines} label="Installer log" />}
        </div>
      )}
    </section>
  );
}
