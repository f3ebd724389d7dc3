// Stopping a run so that nothing of it is left running: a queued one leaves the queue (its events
// say cancelled); a live one, also one another process started, gets the STOP file, then SIGTERM
// to its process group, then SIGKILL.
import { appendFile } from 'node:fs/promises';
import { finishRun, onProcessGone, pollLiveness } from './run-end';
import { runFiles } from './run-files';
import { runDirOf } from './run-id';
import { unmanagedMeta, type RunCore } from './run-manager-types';
import { loadRunState } from './run-state';
import { applyEvents } from './run-summary';
import { stopProcessTree, type StopStage } from './process-tree';
import { trackRun, watchRun } from './run-watch';

/** Resolves once nothing of the run is left running. */
export async function stopRun(core: RunCore, runId: string): Promise<StopStage | 'dequeued'> {
  let run = core.runs.get(runId);
  if (!run) {
    // Not watched here (e.g. the CLI stopping a run the app started): attach first.
    const state = await loadRunState(runDirOf(core.options.runsRoot, runId));
    if (state.summary.status === 'queued' && !state.process && state.meta) {
      // Queued by another process (the app, or a CLI call that was interrupted).
      run = trackRun(core, runId, state.runDir, state.meta, 'queued');
    } else {
      if (!state.process || !state.alive) return 'already-gone';
      run = trackRun(core, runId, state.runDir, state.meta ?? unmanagedMeta(runId), 'running');
      run.process = state.process;
      await watchRun(core, run);
      pollLiveness(core, run);
    }
  }
  if (run.summary.status === 'queued' && !run.process) {
    const event = { v: 1, ts: Date.now() / 1000, type: 'run_finished', status: 'cancelled' } as const;
    await appendFile(runFiles(run.runDir).events, JSON.stringify(event) + '\n');
    finishRun(core, run, applyEvents(run.summary, [event]));
    return 'dequeued';
  }
  if (!run.process) return 'already-gone';
  run.stopping = true;
  const stage = await stopProcessTree(
    { pid: run.process.pid, pgid: run.process.pgid, stopFile: runFiles(run.runDir).stop },
    core.options.stop,
  );
  await onProcessGone(core, run, stage);
  return stage;
}
