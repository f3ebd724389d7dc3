// Launching a queued run once its devices are free across processes (one lock per GPU; another
// app, browser mode or CLI call may hold one): the interpreter chosen (ChatGLM-6B's legacy
// environment by the user's consent), the trainer started in its run folder, its events watched.
import { appendFile } from 'node:fs/promises';
import { chooseTrainerPython } from '../legacy-chatglm/trainer-interpreter';
import { trainerPythonPath } from '../python-env/trainer-python';
import { buildTrainCommand, freePort, launchInRunDir } from './launcher';
import { finishRun, onProcessGone } from './run-end';
import { readTrainerConfig, runFiles } from './run-files';
import { acquireRunLocks, deviceLocks, recordTrainer, releaseRunLocks } from './run-lock';
import type { LiveRun, RunCore } from './run-manager-types';
import { markCrashed } from './run-summary';
import { watchRun } from './run-watch';

/** Launches a run the queue let go, unless the manager closed meanwhile; a failure ends that run. */
export async function launchQueued(core: RunCore, runId: string): Promise<void> {
  const run = core.runs.get(runId);
  if (run && !core.closed) await launchRun(core, run).catch(() => undefined);
}

export async function launchRun(core: RunCore, run: LiveRun): Promise<void> {
  const gpus = run.meta.gpus;
  // One run per device across processes: another app, browser mode or CLI call may hold it.
  const locks = deviceLocks(core.options.runsRoot, gpus);
  if (!(await acquireRunLocks(locks, run.runId))) {
    waitForLocks(core, run);
    return;
  }
  let launched: Awaited<ReturnType<typeof launchInRunDir>>;
  try {
    // ChatGLM-6B runs with its legacy environment's python when the user's consent covers its
    // files; without, the trainer's own python ends the run with the classified explanation.
    const config = (await readTrainerConfig(run.runDir)) ?? {};
    const choice = await chooseTrainerPython(config, core.options.python ?? trainerPythonPath(), { ...process.env, ...core.options.env });
    const command = buildTrainCommand({
      python: choice.python,
      gpus,
      masterPort: gpus.length > 1 ? await freePort() : undefined,
    });
    launched = await launchInRunDir(run.runDir, command, { ...core.options.env, ...choice.env });
  } catch (error) {
    await releaseRunLocks(locks, run.runId);
    const message = (error as Error).message;
    await appendFile(runFiles(run.runDir).log, `tunedesk: ${message}\n`);
    finishRun(core, run, { ...markCrashed(run.summary, [message], Date.now() / 1000) });
    throw error;
  }
  // The trainer runs: from here on its locks live as long as it does, whatever becomes of this
  // process (a CLI call closes its manager and exits as soon as the run is under way).
  await recordTrainer(locks, run.runId, { pid: launched.info.pid, start_time: launched.info.start_time });
  run.process = launched.info;
  run.summary = { ...run.summary, status: 'running', startedAt: launched.info.launched_at };
  await watchRun(core, run);
  core.fanout.publish(run.summary, [], true);
  // During a stop, stopRun decides when the run is over: when the whole group is gone.
  void launched.exited.then(() => (run.stopping ? undefined : onProcessGone(core, run)));
}

/** Retries the device locks until this run may launch (it stays queued meanwhile). */
function waitForLocks(core: RunCore, run: LiveRun): void {
  if (run.lockWait) return;
  run.lockWait = setInterval(() => {
    if (run.done || core.closed) return;
    clearInterval(run.lockWait!);
    run.lockWait = null;
    void launchRun(core, run).catch(() => undefined);
  }, core.options.lockRetryMs ?? 1000);
}
