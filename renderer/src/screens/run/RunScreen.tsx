// The run dashboard: live charts, progress with ETA, the log tail and Stop; when the run ends, a
// result card says how it ended and what to do next.
import { useMemo, useState } from 'react';
import { useApi } from '../../api-context';
import { ErrorNote } from '../../components/ErrorNote';
import { LogTail } from '../../components/LogTail';
import { ProgressBar } from '../../components/ProgressBar';
import { toUiError } from '../../components/useCall';
import { navigate } from '../../route';
import { bestLossPoint, formatDuration, latestValue, selectProgress, statusWord } from '../../shared-state/run-selectors';
import { METHOD_NAMES } from '../../shared-state/train-settings';
import { formatParams } from '../wizard/format';
import { ResultCard } from './ResultCard';
import { RunCharts } from './RunCharts';
import { useRunLineage } from './useRunLineage';
import { useRunLive } from './useRunLive';

export function RunScreen({ runId }: { runId: string }) {
  const api = useApi();
  const { view, error } = useRunLive(runId);
  const lineage = useRunLineage(runId);
  const [actionError, setActionError] = useState<{ message: string; hint?: string } | null>(null);
  const [stopping, setStopping] = useState(false);
  const live = view?.live;
  const summary = view?.summary ?? null;
  const progress = useMemo(() => (live ? selectProgress(live) : null), [live]);
  const best = useMemo(() => (live ? bestLossPoint(live.metrics) : null), [live]);
  const checkpointSteps = useMemo(() => live?.checkpoints.map((c) => c.step) ?? [], [live?.checkpoints]);

  if (error) return <ErrorNote error={error} title={`Run ${runId}`} />;
  if (!live || !view?.attached) return <p className="help">Loading run {runId}…</p>;

  const active = live.status === 'running' || live.status === 'queued';
  const device = String(live.config.device ?? '');
  const onGpu = (summary?.telemetry?.length ?? 0) > 0 || device.startsWith('cuda');
  const lastCheckpoint = live.checkpoints.at(-1)?.path ?? summary?.lastCheckpoint?.path ?? null;
  const eta = summary?.etaSeconds ?? progress?.etaSeconds ?? null;

  const stop = async () => {
    setStopping(true);
    setActionError(null);
    try {
      await api.invoke('runs.stop', { runId });
    } catch (e) {
      setActionError(toUiError(e));
    } finally {
      setStopping(false);
    }
  };
  const resume = async () => {
    setActionError(null);
    try {
      const r = await api.invoke('runs.resume', { runId, overrides: {} });
      navigate({ screen: 'run', runId: r.summary.runId });
    } catch (e) {
      setActionError(toUiError(e));
    }
  };

  return (
    <div className="stack" data-testid="run-dashboard" data-status={live.status} data-step={live.step}>
      <header className="screen-header row" style={{ justifyContent: 'space-between' }}>
        <div>
          <h1>
            Run {runId} <span className={`badge status-${live.status}`} data-status={live.status}>
              {statusWord(live.status)}
            </span>
          </h1>
          <p className="help">
            {live.method ? `${METHOD_NAMES[live.method] ?? live.method} on ${live.model ?? 'an unknown model'}` : 'The trainer has not reported its setup yet.'}
            {live.engine && ` · ${live.engine} engine`}
            {live.trainableParams !== null && live.totalParams !== null && ` · training ${formatParams(live.trainableParams)} of ${formatParams(live.totalParams)} parameters`}
          </p>
          <RunLinks lineage={lineage} />
        </div>
        {active && (
          <button type="button" className="danger" onClick={stop} disabled={stopping}>
            {stopping ? 'Stopping… (saving a checkpoint)' : 'Stop'}
          </button>
        )}
      </header>
      <ErrorNote error={actionError} />
      <ResultCard
        status={live.status}
        step={live.step}
        best={best}
        reportEvery={typeof live.config.show_loss_step === 'number' ? live.config.show_loss_step : null}
        lastCheckpoint={lastCheckpoint}
        error={live.error}
        logTail={summary?.logTail ?? []}
        onResume={resume}
        onExport={() => navigate({ screen: 'export', runId })}
        onTry={() => navigate({ screen: 'try', runId })}
      />
      <section className="card" aria-label="Progress">
        <div className="row" style={{ justifyContent: 'space-between' }}>
          <span className="num">
            Step {live.step}
            {live.totalSteps ? ` of ${live.totalSteps}` : ''} · epoch {live.epoch.toFixed(2)}
          </span>
          <span className="num help">
            {[
              active ? `about ${formatDuration(eta)} left` : null,
              progress?.stepsPerSecond ? `${progress.stepsPerSecond.toFixed(2)} steps/s` : null,
              best !== null ? `best loss ${best.loss.toFixed(4)} at step ${best.step}` : null,
            ]
              .filter(Boolean)
              .join(' · ')}
          </span>
        </div>
        <ProgressBar fraction={progress?.fraction ?? null} label="Training progress" tone={live.status === 'failed' || live.status === 'crashed' ? 'bad' : undefined} />
        {summary?.telemetry && summary.telemetry.length > 0 && (
          <p className="help num" style={{ marginTop: 6 }}>
            {summary.telemetry.map((g) => `GPU ${g.index}: ${g.utilizationPct ?? '?'}% · ${g.memUsedMb ?? '?'} / ${g.memTotalMb ?? '?'} MB · ${g.temperatureC ?? '?'} °C`).join('   ')}
          </p>
        )}
        {!onGpu && latestValue(live.metrics, 'mem_gb') !== null && <p className="help">On the CPU: memory is the trainer process's resident memory.</p>}
      </section>
      {(active || live.metrics.length > 0 || (lineage.parent?.metrics.length ?? 0) > 0) && <RunCharts metrics={live.metrics} evals={live.evals} checkpointSteps={checkpointSteps} memoryLabel={onGpu ? 'GPU memory (trainer)' : 'Memory (process RSS)'} telemetry={view.telemetry} parent={lineage.parent} />}
      <section className="card" aria-label="Log">
        <h3>Log</h3>
        <LogTail lines={live.logs.map((l) => ({ level: l.level, text: l.message }))} />
      </section>
    </div>
  );
}

/** "Resumed from <parent> at step N" and "Resumed as <child>", both ways, as links. */
function RunLinks({ lineage }: { lineage: ReturnType<typeof useRunLineage> }) {
  const { parent, children } = lineage;
  if (!parent && children.length === 0) return null;
  const link = (id: string) => <a href={`#/run/${encodeURIComponent(id)}`}>{id}</a>;
  return (
    <p className="help" data-testid="run-lineage">
      {parent && (
        <span data-testid="resumed-from">
          Resumed from {link(parent.runId)} at step {parent.step} ({parent.checkpoint}); its curve up to there is drawn in grey.
        </span>
      )}
      {parent && children.length > 0 && ' '}
      {children.length > 0 && (
        <span data-testid="resumed-as">
          Resumed as{' '}
          {children.map((c, i) => (
            <span key={c.runId}>
              {i > 0 && ', '}
              {link(c.runId)} (from {c.checkpoint.replace(/^checkpoints\//, '')})
            </span>
          ))}
          .
        </span>
      )}
    </p>
  );
}
