// The run manager: starts runs (queued per GPU set), watches them through their events, stops
// them so that nothing is left running, resumes them from checkpoints and, when a new instance
// opens (app restart, another CLI call), re-attaches to the runs that are still alive.
// It never kills a run because the app goes away: close() only stops watching.
import { watch, type FSWatcher } from 'node:fs';
import { appendFile, mkdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { findCompleteCheckpoint } from '../checkpoints/checkpoint-list';
import { listRunDirs } from '../checkpoints/run-list';
import { resolveRunDir } from '../paths/run-paths';
import { NothingThereError } from './refusals';
import type { TrainerEvent } from '../../shared/events';
import { EventsTailer } from './events-tailer';
import { QUICK_READ_BYTES } from './history-cache';
import { buildTrainCommand, freePort, launchInRunDir } from './launcher';
import { chooseTrainerPython } from './legacy-chatglm';
import { LiveFanout, type RunListener } from './live-fanout';
import { isSameProcessAlive, stopProcessTree, type StopStage } from './process-tree';
import { planResume, ResumeRefusedError, type ResumePlan } from './resume-rules';
import {
  readLogTail,
  readRunMeta,
  readTrainerConfig,
  runFiles,
  writeJsonAtomic,
  type ProcessInfo,
  type RunMeta,
  type RunParent,
  type TrainerConfig,
} from './run-files';
import { runJsonConfig } from './run-config';
import { assertSafeRunId, makeRunId } from './run-id';
import { acquireRunLocks, deviceLocks, recordTrainer, releaseRunLocks } from './run-lock';
import { gpuSetKey, RunQueue } from './run-queue';
import { loadRunState, type RunState } from './run-state';
import { applyEvents, emptySummary, isFinal, markCrashed, type RunSummary } from './run-summary';
import { nvidiaTelemetrySource, TelemetryPoller } from './telemetry';
import { trainerPythonPath } from '../python-env/trainer-python';
import { unmanagedMeta, type LiveRun, type ResumeOptions, type RunManagerOptions, type StartOptions } from './run-manager-types';

export type { ResumeOptions, RunManagerOptions, StartOptions } from './run-manager-types';

export class RunManager {
  private readonly runs = new Map<string, LiveRun>();
  private readonly queue = new RunQueue();
  private readonly fanout: LiveFanout;
  private closed = false;
  private rootWatcher: FSWatcher | null = null;
  private rootPoll: NodeJS.Timeout | null = null;
  private scanning = false;
  /** Runs found already ended by the root watch: never looked at again. */
  private readonly settled = new Set<string>();

  constructor(private readonly options: RunManagerOptions) {
    this.fanout = new LiveFanout(options.fanoutMs ?? 100);
  }

  get runsRoot(): string {
    return this.options.runsRoot;
  }

  /** Re-attaches to every run under the runs root whose process is still alive. */
  async init(options: { adoptQueued?: boolean } = {}): Promise<RunSummary[]> {
    await mkdir(this.options.runsRoot, { recursive: true });
    const attached: RunSummary[] = [];
    const queued: { state: Awaited<ReturnType<typeof loadRunState>>; meta: RunMeta }[] = [];
    for (const runDir of await listRunDirs(this.options.runsRoot)) {
      const state = await loadRunState(runDir);
      if (state.summary.status === 'queued' && !state.process && state.meta && !this.runs.has(state.runId)) {
        queued.push({ state, meta: state.meta });
        continue;
      }
      if (!state.alive || !state.process || this.runs.has(state.runId)) continue;
      attached.push((await this.attachLive(state, state.process)).summary);
    }
    // The app owns the queue: runs it had queued before a restart wait again, in their order.
    // (A CLI call does not adopt them: `tunedesk stop` must not start anything.)
    if (options.adoptQueued) {
      for (const { state, meta } of queued.sort((a, b) => a.meta.created_at - b.meta.created_at)) {
        const run = this.track(state.runId, state.runDir, meta, 'queued');
        attached.push(run.summary);
        if (this.queue.enqueue(run.runId, gpuSetKey(meta.gpus))) await this.launch(run).catch(() => undefined);
      }
    }
    return attached;
  }

  /**
   * Watches the runs root for runs started elsewhere (the CLI, another window, by hand): a new run
   * directory whose trainer is alive is attached and announced within about a second. fs.watch is
   * the fast path; a periodic rescan catches what it misses (a run folder whose process.json
   * appears later, file systems without change events).
   */
  watchRoot(rescanMs = 1000): void {
    if (this.rootPoll || this.closed) return;
    const rescan = () => void this.attachNew().catch(() => undefined);
    try {
      this.rootWatcher = watch(this.options.runsRoot, { persistent: false }, rescan);
      this.rootWatcher.on('error', () => this.rootWatcher?.close());
    } catch {
      this.rootWatcher = null; // the poll still works
    }
    this.rootPoll = setInterval(rescan, rescanMs);
    this.rootPoll.unref?.();
  }

  private async attachNew(): Promise<void> {
    if (this.scanning || this.closed) return;
    this.scanning = true;
    try {
      for (const runDir of await listRunDirs(this.options.runsRoot)) {
        const runId = basename(runDir);
        if (this.runs.has(runId) || this.settled.has(runId)) continue;
        const state = await loadRunState(runDir);
        if (isFinal(state.summary.status)) this.settled.add(runId);
        if (!state.alive || !state.process || this.runs.has(runId) || this.closed) continue;
        const run = await this.attachLive(state, state.process);
        this.fanout.publish(run.summary, [], true);
      }
    } finally {
      this.scanning = false;
    }
  }

  /** Follows a live run another process started: its GPUs count as busy, its events are watched. */
  private async attachLive(state: RunState, processInfo: ProcessInfo): Promise<LiveRun> {
    const run = this.track(state.runId, state.runDir, state.meta ?? unmanagedMeta(state.runId), 'running');
    run.process = processInfo;
    this.queue.markActive(run.runId, gpuSetKey(run.meta.gpus));
    await this.watch(run);
    this.pollLiveness(run);
    return run;
  }

  /** Subscribes to live updates of one run, or '*' for every run; returns the unsubscribe function. */
  subscribe(runId: string | '*', listener: RunListener): () => void {
    return this.fanout.subscribe(runId, listener);
  }

  get(runId: string): RunSummary | undefined {
    return this.runs.get(runId)?.summary;
  }

  /** The runs this instance watches (queued, running, and ended since it opened). */
  list(): RunSummary[] {
    return [...this.runs.values()].map((r) => r.summary);
  }

  /** Resolves with the final summary when the run has ended (or at once if it already has). */
  waitForEnd(runId: string): Promise<RunSummary> {
    const run = this.runs.get(runId);
    if (!run) return Promise.reject(new Error(`run ${runId} is not watched by this run manager`));
    return run.ended;
  }

  runDir(runId: string): string {
    assertSafeRunId(runId);
    return join(this.options.runsRoot, runId);
  }

  /**
   * Starts a run from a configuration in the trainer's own flag names (a preset's config or a
   * --config file). The service assigns the run id and output_dir, writes run.json and
   * run-meta.json and queues the run on its GPU set.
   */
  async start(config: TrainerConfig, options: StartOptions = {}): Promise<RunSummary> {
    if (this.closed) throw new Error('this run manager is closed');
    const runId = options.runId ?? makeRunId(String(config.train_type ?? 'run'));
    const runDir = this.runDir(runId);
    await mkdir(this.options.runsRoot, { recursive: true });
    await mkdir(runDir); // fails if the run exists: a run directory is never reused
    const trainerConfig = runJsonConfig(config, runDir, options.baseDir ?? process.cwd());
    const meta: RunMeta = {
      run_id: runId,
      created_at: Date.now() / 1000,
      gpus: options.gpus ?? [],
      parent: options.parent ?? null,
      preset: options.preset ?? null,
      ...(options.kind ? { kind: options.kind } : {}),
    };
    await writeJsonAtomic(runFiles(runDir).runJson, trainerConfig);
    await writeJsonAtomic(runFiles(runDir).meta, meta);
    const run = this.track(runId, runDir, meta, 'queued');
    this.fanout.publish(run.summary, [], true);
    if (this.queue.enqueue(runId, gpuSetKey(meta.gpus))) await this.launch(run);
    return run.summary;
  }

  /**
   * Resumes from a complete checkpoint of `parentId` (the last one when `step` is omitted) as a new
   * run linked to its parent; the step count continues. Refuses changes that cannot apply.
   */
  async resume(parentId: string, options: ResumeOptions = {}): Promise<{ summary: RunSummary; plan: ResumePlan }> {
    // Real path: a parent run folder that links out of the runs root is refused.
    const parentDir = (await resolveRunDir(this.options.runsRoot, parentId)) ?? this.runDir(parentId);
    const parentConfig = await readTrainerConfig(parentDir);
    if (!parentConfig) throw new NothingThereError(`run ${parentId} has no run.json in ${parentDir}`);
    const checkpoint = await findCompleteCheckpoint(parentDir, options.step);
    if (!checkpoint) {
      throw new NothingThereError(
        options.step === undefined
          ? `run ${parentId} has no complete checkpoint to resume from`
          : `run ${parentId} has no complete checkpoint at step ${options.step} (see: tunedesk runs show ${parentId})`,
      );
    }
    const overrides = Object.fromEntries(Object.entries(options.overrides ?? {}).filter(([, v]) => v !== undefined));
    const plan = planResume(parentConfig, overrides);
    if (plan.refused.length > 0) throw new ResumeRefusedError(plan);
    const parentMeta = await readRunMeta(parentDir).catch(() => null);
    const { output_dir: _out, resume_from: _from, ...inherited } = parentConfig;
    const parent: RunParent = { run_id: parentId, checkpoint: checkpoint.path, step: checkpoint.step };
    const summary = await this.start(
      { ...inherited, ...overrides, resume_from: checkpoint.absolutePath },
      { runId: options.runId, gpus: options.gpus ?? parentMeta?.gpus ?? [], parent, baseDir: options.baseDir },
    );
    return { summary, plan };
  }

  /**
   * Stops a run: a queued one leaves the queue; a live one gets the STOP file, then SIGTERM to its
   * process group, then SIGKILL. Resolves once nothing of the run is left running.
   */
  async stop(runId: string): Promise<StopStage | 'dequeued'> {
    let run = this.runs.get(runId);
    if (!run) {
      // Not watched here (e.g. the CLI stopping a run the app started): attach first.
      const state = await loadRunState(this.runDir(runId));
      if (state.summary.status === 'queued' && !state.process && state.meta) {
        // Queued by another process (the app, or a CLI call that was interrupted).
        run = this.track(runId, state.runDir, state.meta, 'queued');
      } else {
        if (!state.process || !state.alive) return 'already-gone';
        run = this.track(runId, state.runDir, state.meta ?? unmanagedMeta(runId), 'running');
        run.process = state.process;
        await this.watch(run);
        this.pollLiveness(run);
      }
    }
    if (run.summary.status === 'queued' && !run.process) {
      const event = { v: 1, ts: Date.now() / 1000, type: 'run_finished', status: 'cancelled' } as const;
      await appendFile(runFiles(run.runDir).events, JSON.stringify(event) + '\n');
      this.finish(run, applyEvents(run.summary, [event]));
      return 'dequeued';
    }
    if (!run.process) return 'already-gone';
    run.stopping = true;
    const stage = await stopProcessTree(
      { pid: run.process.pid, pgid: run.process.pgid, stopFile: runFiles(run.runDir).stop },
      this.options.stop,
    );
    await this.onProcessGone(run, stage);
    return stage;
  }

  /** Stops watching (never stops the runs: they go on and a later instance re-attaches). */
  async close(): Promise<void> {
    this.closed = true;
    this.rootWatcher?.close();
    if (this.rootPoll) clearInterval(this.rootPoll);
    for (const run of this.runs.values()) this.unwatch(run);
    this.fanout.close();
  }

  // --- internals ---------------------------------------------------------------------------

  private track(runId: string, runDir: string, meta: RunMeta, status: RunSummary['status']): LiveRun {
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
    this.runs.set(runId, run);
    return run;
  }

  private async launchQueued(runId: string): Promise<void> {
    const run = this.runs.get(runId);
    if (run && !this.closed) await this.launch(run).catch(() => undefined);
  }

  private async launch(run: LiveRun): Promise<void> {
    const gpus = run.meta.gpus;
    // One run per device across processes: another app, browser mode or CLI call may hold it.
    const locks = deviceLocks(this.options.runsRoot, gpus);
    if (!(await acquireRunLocks(locks, run.runId))) {
      this.waitForLocks(run);
      return;
    }
    let launched: Awaited<ReturnType<typeof launchInRunDir>>;
    try {
      // ChatGLM-6B runs with its legacy environment's python when the user's consent covers its
      // files; without, the trainer's own python ends the run with the classified explanation.
      const config = (await readTrainerConfig(run.runDir)) ?? {};
      const choice = await chooseTrainerPython(config, this.options.python ?? trainerPythonPath(), { ...process.env, ...this.options.env });
      const command = buildTrainCommand({
        python: choice.python,
        gpus,
        masterPort: gpus.length > 1 ? await freePort() : undefined,
      });
      launched = await launchInRunDir(run.runDir, command, { ...this.options.env, ...choice.env });
    } catch (error) {
      await releaseRunLocks(locks, run.runId);
      const message = (error as Error).message;
      await appendFile(runFiles(run.runDir).log, `tunedesk: ${message}\n`);
      this.finish(run, { ...markCrashed(run.summary, [message], Date.now() / 1000) });
      throw error;
    }
    // The trainer runs: from here on its locks live as long as it does, whatever becomes of this
    // process (a CLI call closes its manager and exits as soon as the run is under way).
    await recordTrainer(locks, run.runId, { pid: launched.info.pid, start_time: launched.info.start_time });
    run.process = launched.info;
    run.summary = { ...run.summary, status: 'running', startedAt: launched.info.launched_at };
    await this.watch(run);
    this.fanout.publish(run.summary, [], true);
    // During a stop, stop() decides when the run is over: when the whole group is gone.
    void launched.exited.then(() => (run.stopping ? undefined : this.onProcessGone(run)));
  }

  /** Retries the device locks until this run may launch (it stays queued meanwhile). */
  private waitForLocks(run: LiveRun): void {
    if (run.lockWait) return;
    run.lockWait = setInterval(() => {
      if (run.done || this.closed) return;
      clearInterval(run.lockWait!);
      run.lockWait = null;
      void this.launch(run).catch(() => undefined);
    }, this.options.lockRetryMs ?? 1000);
  }

  private async watch(run: LiveRun): Promise<void> {
    if (this.closed || run.done) return; // closed while the trainer launched: a later instance re-attaches
    const files = runFiles(run.runDir);
    let catchingUp = false;
    const tailer = new EventsTailer(
      files.events,
      {
        onEvents: (events: TrainerEvent[]) => {
          run.summary = applyEvents(run.summary, events);
          // Catching up on an attached run's existing lines (maybe millions): subscribers get the
          // summary; its history is runs.history's to give, downsampled.
          this.fanout.publish(run.summary, catchingUp ? [] : events);
        },
        onMalformed: (problem) => {
          run.summary = {
            ...run.summary,
            malformedLines: run.summary.malformedLines + 1,
            lastWarning: `events.jsonl:${problem.line}: ${problem.error} (line skipped)`,
          };
          this.fanout.publish(run.summary);
        },
      },
      { pollMs: this.options.pollMs ?? 2000 },
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
    const source = this.options.telemetry === undefined ? nvidiaTelemetrySource() : this.options.telemetry;
    if (source && gpus.length > 0) {
      run.telemetry = new TelemetryPoller(source, gpus, files.telemetry, (sample) => {
        run.summary = { ...run.summary, telemetry: sample };
        this.fanout.publish(run.summary);
      });
      run.telemetry.start();
    }
  }

  /** A re-attached process is not our child: poll whether it (pid + start time) still exists. */
  private pollLiveness(run: LiveRun): void {
    const check = async () => {
      if (!run.process || run.done || run.stopping) return;
      if (!(await isSameProcessAlive(run.process.pid, run.process.start_time))) await this.onProcessGone(run);
    };
    run.liveness = setInterval(() => void check(), this.options.pollMs ?? 2000);
  }

  private async onProcessGone(run: LiveRun, stopStage?: StopStage): Promise<void> {
    if (run.liveness) clearInterval(run.liveness);
    run.liveness = null;
    // A closed manager no longer speaks for its runs (a newer instance has re-attached them).
    if (run.done || (this.closed && !stopStage)) return;
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
    this.finish(run, summary);
  }

  private finish(run: LiveRun, summary: RunSummary): void {
    if (run.done) return;
    run.done = true;
    run.summary = summary;
    this.unwatch(run);
    this.fanout.publish(summary, [], true);
    this.fanout.flush(run.runId);
    run.resolveEnded(summary);
    // A lock that cannot be released (its runs root removed) is nobody's any more: the queue goes on.
    void releaseRunLocks(deviceLocks(this.options.runsRoot, run.meta.gpus), run.runId)
      .catch(() => undefined)
      .then(() => {
        for (const next of this.queue.release(run.runId)) void this.launchQueued(next);
      });
  }

  private unwatch(run: LiveRun): void {
    run.tailer?.stop();
    run.tailer = null;
    run.telemetry?.stop();
    run.telemetry = null;
    if (run.liveness) clearInterval(run.liveness);
    run.liveness = null;
    if (run.lockWait) clearInterval(run.lockWait);
    run.lockWait = null;
  }
}
