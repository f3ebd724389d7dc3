// The run manager: starts runs (queued per GPU set), watches them through their events, stops
// them so that nothing is left running, resumes them from checkpoints and, when a new instance
// opens (app restart, another CLI call), re-attaches to the runs that are still alive.
// It never kills a run because the app goes away: close() only stops watching.
// This file is the manager's face; its parts: run-launch.ts (launching), run-watch.ts (following a
// run's events), run-end.ts (recording its end), run-reattach.ts (re-attaching), run-stop.ts.
import { mkdir } from 'node:fs/promises';
import { findCompleteCheckpoint } from '../checkpoints/checkpoint-list';
import { resolveRunDir } from '../paths/run-paths';
import { NothingThereError } from './refusals';
import { LiveFanout, type RunListener } from './live-fanout';
import type { StopStage } from './process-tree';
import { planResume, ResumeRefusedError, type ResumePlan } from './resume-rules';
import { readRunMeta, readTrainerConfig, runFiles, writeJsonAtomic, type RunMeta, type RunParent, type TrainerConfig } from './run-files';
import { runJsonConfig } from './run-config';
import { makeRunId, runDirOf } from './run-id';
import { launchQueued, launchRun } from './run-launch';
import type { ResumeOptions, RunCore, RunManagerOptions, StartOptions } from './run-manager-types';
import { gpuSetKey, RunQueue } from './run-queue';
import { attachRuns, RootWatch } from './run-reattach';
import { stopRun } from './run-stop';
import type { RunSummary } from './run-summary';
import { trackRun, unwatchRun } from './run-watch';

export type { ResumeOptions, RunManagerOptions, StartOptions } from './run-manager-types';

export class RunManager {
  private readonly core: RunCore;
  private readonly rootWatch: RootWatch;

  constructor(options: RunManagerOptions) {
    const core: RunCore = {
      options,
      runs: new Map(),
      queue: new RunQueue(),
      fanout: new LiveFanout(options.fanoutMs ?? 100),
      closed: false,
      launchQueued: (runId) => launchQueued(core, runId),
    };
    this.core = core;
    this.rootWatch = new RootWatch(core);
  }

  get runsRoot(): string {
    return this.core.options.runsRoot;
  }

  /** Re-attaches to every run under the runs root whose process is still alive. */
  init(options: { adoptQueued?: boolean } = {}): Promise<RunSummary[]> {
    return attachRuns(this.core, options);
  }

  /**
   * Watches the runs root for runs started elsewhere (the CLI, another window, by hand): a new run
   * directory whose trainer is alive is attached and announced within about a second.
   */
  watchRoot(rescanMs = 1000): void {
    this.rootWatch.start(rescanMs);
  }

  /** Subscribes to live updates of one run, or '*' for every run; returns the unsubscribe function. */
  subscribe(runId: string | '*', listener: RunListener): () => void {
    return this.core.fanout.subscribe(runId, listener);
  }

  get(runId: string): RunSummary | undefined {
    return this.core.runs.get(runId)?.summary;
  }

  /** The runs this instance watches (queued, running, and ended since it opened). */
  list(): RunSummary[] {
    return [...this.core.runs.values()].map((r) => r.summary);
  }

  /** Resolves with the final summary when the run has ended (or at once if it already has). */
  waitForEnd(runId: string): Promise<RunSummary> {
    const run = this.core.runs.get(runId);
    if (!run) return Promise.reject(new Error(`run ${runId} is not watched by this run manager`));
    return run.ended;
  }

  runDir(runId: string): string {
    return runDirOf(this.core.options.runsRoot, runId);
  }

  /**
   * Starts a run from a configuration in the trainer's own flag names (a preset's config or a
   * --config file). The service assigns the run id and output_dir, writes run.json and
   * run-meta.json and queues the run on its GPU set.
   */
  async start(config: TrainerConfig, options: StartOptions = {}): Promise<RunSummary> {
    const core = this.core;
    if (core.closed) throw new Error('this run manager is closed');
    const runId = options.runId ?? makeRunId(String(config.train_type ?? 'run'));
    const runDir = this.runDir(runId);
    await mkdir(core.options.runsRoot, { recursive: true });
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
    const run = trackRun(core, runId, runDir, meta, 'queued');
    core.fanout.publish(run.summary, [], true);
    if (core.queue.enqueue(runId, gpuSetKey(meta.gpus))) await launchRun(core, run);
    return run.summary;
  }

  /**
   * Resumes from a complete checkpoint of `parentId` (the last one when `step` is omitted) as a new
   * run linked to its parent; the step count continues. Refuses changes that cannot apply.
   */
  async resume(parentId: string, options: ResumeOptions = {}): Promise<{ summary: RunSummary; plan: ResumePlan }> {
    // Real path: a parent run folder that links out of the runs root is refused.
    const parentDir = (await resolveRunDir(this.core.options.runsRoot, parentId)) ?? this.runDir(parentId);
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
  stop(runId: string): Promise<StopStage | 'dequeued'> {
    return stopRun(this.core, runId);
  }

  /** Stops watching (never stops the runs: they go on and a later instance re-attaches). */
  async close(): Promise<void> {
    this.core.closed = true;
    this.rootWatch.close();
    for (const run of this.core.runs.values()) unwatchRun(run);
    this.core.fanout.close();
  }
}
