// A run's end, recorded exactly once: noticed when the launched trainer exits, when polling finds a
// re-attached one gone, or when a stop is over. The last events are read, a stop the trainer could
// not report is written into its own events, a crash keeps its log tail; then its device locks are
// released and the queue moves on.
import { appendFile } from 'node:fs/promises';
import { isSameProcessAlive, type StopStage } from './process-tree';
import { readLogTail, runFiles } from './run-files';
import { deviceLocks, releaseRunLocks } from './run-lock';
import type { LiveRun, RunCore } from './run-manager-types';
import { isFinal, markCrashed, type RunSummary } from './run-summary';
import { unwatchRun } from './run-watch';

/** A re-attached process is not our child: poll whether it (pid + start time) still exists. */
export function pollLiveness(core: RunCore, run: LiveRun): void {
  const check = async () => {
    if (!run.process || run.done || run.stopping) return;
    if (!(await isSameProcessAlive(run.process.pid, run.process.start_time))) await onProcessGone(core, run);
  };
  run.liveness = setInterval(() => void check(), core.options.pollMs ?? 2000);
}

export async function onProcessGone(core: RunCore, run: LiveRun, stopStage?: StopStage): Promise<void> {
  if (run.liveness) clearInterval(run.liveness);
  run.liveness = null;
  // A closed manager no longer speaks for its runs (a newer instance has re-attached them).
  if (run.done || (core.closed && !stopStage)) return;
  if (run.tailer) await run.tailer.readNew(); // the last lines were written just before exit
  if (stopStage && !isFinal(run.summary.status) && run.tailer) {
    // The user asked for the stop but the trainer was ended before it could say so: record the
    // outcome in the run's own events, so every later reader sees "cancelled", not "crashed".
    const ts = Date.now() / 1000;
    const lines = [
      { v: 1, ts, type: 'log', level: 'warning', message: `stop: the trainer did not finish by itself; its processes were ended (${stopStage}). Steps after the last checkpoint are lost.` },
      { v: 1, ts, type: 'run_finished', status: 'cancelled', step: run.summary.step, ended_by: stopStage },
    ];
    await appendFile(runFiles(run.runDir).events, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    await run.tailer.readNew();
  }
  let summary = run.summary;
  const logTail = () => readLogTail(runFiles(run.runDir).log);
  if (!isFinal(summary.status)) summary = markCrashed(summary, await logTail(), Date.now() / 1000);
  else if (summary.status === 'failed') summary = { ...summary, logTail: await logTail() };
  finishRun(core, run, summary);
}

export function finishRun(core: RunCore, run: LiveRun, summary: RunSummary): void {
  if (run.done) return;
  run.done = true;
  run.summary = summary;
  unwatchRun(run);
  core.fanout.publish(summary, [], true);
  core.fanout.flush(run.runId);
  run.resolveEnded(summary);
  // A lock that cannot be released (its runs root removed) is nobody's any more: the queue goes on.
  void releaseRunLocks(deviceLocks(core.options.runsRoot, run.meta.gpus), run.runId)
    .catch(() => undefined)
    .then(() => {
      for (const next of core.queue.release(run.runId)) void core.launchQueued(next);
    });
}
