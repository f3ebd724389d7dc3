// Following one run: its record in the manager (track), its events.jsonl tailed into the summary
// and pushed to subscribers, and its GPUs' telemetry. unwatch stops all of that, never the run.
import { stat } from 'node:fs/promises';
import type { TrainerEvent } from '../../shared/events';
import { EventsTailer } from './events-tailer';
import { QUICK_READ_BYTES } from './history-cache';
import { runFiles, type RunMeta } from './run-files';
import type { LiveRun, RunCore } from './run-manager-types';
import { applyEvents, emptySummary, type RunSummary } from './run-summary';
import { nvidiaTelemetrySource, TelemetryPoller } from './telemetry';

/** Records a run as watched by this manager; `ended` resolves when its end is recorded. */
export function trackRun(core: RunCore, runId: string, runDir: string, meta: RunMeta, status: RunSummary['status']): LiveRun {
  let resolveEnded!: (summary: RunSummary) => void;
  const ended = new Promise<RunSummary>((resolve) => (resolveEnded = resolve));
  const run: LiveRun = {
    runId,
    runDir,
    meta,
    summary: emptySummary(runId, status),
    tailer: null,
    process: null,
    telemetry: null,
    liveness: null,
    lockWait: null,
    ended,
    resolveEnded,
    stopping: false,
    done: false,
  };
  core.runs.set(runId, run);
  return run;
}

export async function watchRun(core: RunCore, run: LiveRun): Promise<void> {
  if (core.closed || run.done) return; // closed while the trainer launched: a later instance re-attaches
  const files = runFiles(run.runDir);
  let catchingUp = false;
  const tailer = new EventsTailer(
    files.events,
    {
      onEvents: (events: TrainerEvent[]) => {
        run.summary = applyEvents(run.summary, events);
        // Catching up on an attached run's existing lines (maybe millions): subscribers get the
        // summary; its history is runs.history's to give, downsampled.
        core.fanout.publish(run.summary, catchingUp ? [] : events);
      },
      onMalformed: (problem) => {
        run.summary = {
          ...run.summary,
          malformedLines: run.summary.malformedLines + 1,
          lastWarning: `events.jsonl:${problem.line}: ${problem.error} (line skipped)`,
        };
        core.fanout.publish(run.summary);
      },
    },
    { pollMs: core.options.pollMs ?? 2000 },
  );
  // A re-attached LONG run is caught up in the background, its old lines not pushed to
  // subscribers (runs.history gives them, downsampled); a short one is read and pushed now.
  run.tailer = tailer;
  const existing = (await stat(files.events).catch(() => null))?.size ?? 0;
  // close() (or the run's end) may have come while we looked: then there is nothing to watch.
  if (run.tailer !== tailer) return;
  catchingUp = existing > QUICK_READ_BYTES;
  const caughtUp = tailer.start().finally(() => (catchingUp = false));
  if (catchingUp) void caughtUp.catch(() => undefined);
  else await caughtUp;
  const gpus = run.meta.gpus;
  // Default: nvidia-smi through the hardware service, only for runs on chosen GPUs.
  const source = core.options.telemetry === undefined ? nvidiaTelemetrySource() : core.options.telemetry;
  if (source && gpus.length > 0) {
    run.telemetry = new TelemetryPoller(source, gpus, files.telemetry, (sample) => {
      run.summary = { ...run.summary, telemetry: sample };
      core.fanout.publish(run.summary);
    });
    run.telemetry.start();
  }
}

export function unwatchRun(run: LiveRun): void {
  run.tailer?.stop();
  run.tailer = null;
  run.telemetry?.stop();
  run.telemetry = null;
  if (run.liveness) clearInterval(run.liveness);
  run.liveness = null;
  if (run.lockWait) clearInterval(run.lockWait);
  run.lockWait = null;
}
