// Re-attaching: a new manager (app restart, another CLI call) follows the runs under the runs root
// whose trainer is still alive, the app adopts the runs it had queued, and a watch of the root picks
// up runs started elsewhere (the CLI, another window, by hand) within about a second.
import { watch, type FSWatcher } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { basename } from 'node:path';
import { pollLiveness } from './run-end';
import type { ProcessInfo, RunMeta } from './run-files';
import { launchRun } from './run-launch';
import { listRunDirs } from './run-list';
import { unmanagedMeta, type LiveRun, type RunCore } from './run-manager-types';
import { gpuSetKey } from './run-queue';
import { loadRunState, type RunState } from './run-state';
import { isFinal, type RunSummary } from './run-summary';
import { trackRun, watchRun } from './run-watch';

/** Re-attaches to every run under the runs root whose process is still alive. */
export async function attachRuns(core: RunCore, options: { adoptQueued?: boolean } = {}): Promise<RunSummary[]> {
  await mkdir(core.options.runsRoot, { recursive: true });
  const attached: RunSummary[] = [];
  const queued: { state: RunState; meta: RunMeta }[] = [];
  for (const runDir of await listRunDirs(core.options.runsRoot)) {
    const state = await loadRunState(runDir);
    if (state.summary.status === 'queued' && !state.process && state.meta && !core.runs.has(state.runId)) {
      queued.push({ state, meta: state.meta });
      continue;
    }
    if (!state.alive || !state.process || core.runs.has(state.runId)) continue;
    attached.push((await attachLive(core, state, state.process)).summary);
  }
  // The app owns the queue: runs it had queued before a restart wait again, in their order.
  // (A CLI call does not adopt them: `tunedesk stop` must not start anything.)
  if (options.adoptQueued) {
    for (const { state, meta } of queued.sort((a, b) => a.meta.created_at - b.meta.created_at)) {
      const run = trackRun(core, state.runId, state.runDir, meta, 'queued');
      attached.push(run.summary);
      if (core.queue.enqueue(run.runId, gpuSetKey(meta.gpus))) await launchRun(core, run).catch(() => undefined);
    }
  }
  return attached;
}

/** Follows a live run another process started: its GPUs count as busy, its events are watched. */
async function attachLive(core: RunCore, state: RunState, processInfo: ProcessInfo): Promise<LiveRun> {
  const run = trackRun(core, state.runId, state.runDir, state.meta ?? unmanagedMeta(state.runId), 'running');
  run.process = processInfo;
  core.queue.markActive(run.runId, gpuSetKey(run.meta.gpus));
  await watchRun(core, run);
  pollLiveness(core, run);
  return run;
}

/**
 * Watches the runs root for runs started elsewhere: a new run directory whose trainer is alive is
 * attached and announced. fs.watch is the fast path; a periodic rescan catches what it misses (a
 * run folder whose process.json appears later, file systems without change events).
 */
export class RootWatch {
  private watcher: FSWatcher | null = null;
  private poll: NodeJS.Timeout | null = null;
  private scanning = false;
  /** Runs found already ended: never looked at again. */
  private readonly settled = new Set<string>();

  constructor(private readonly core: RunCore) {}

  start(rescanMs: number): void {
    if (this.poll || this.core.closed) return;
    const rescan = () => void this.attachNew().catch(() => undefined);
    try {
      this.watcher = watch(this.core.options.runsRoot, { persistent: false }, rescan);
      this.watcher.on('error', () => this.watcher?.close());
    } catch {
      this.watcher = null; // the poll still works
    }
    this.poll = setInterval(rescan, rescanMs);
    this.poll.unref?.();
  }

  close(): void {
    this.watcher?.close();
    if (this.poll) clearInterval(this.poll);
  }

  private async attachNew(): Promise<void> {
    const core = this.core;
    if (this.scanning || core.closed) return;
    this.scanning = true;
    try {
      for (const runDir of await listRunDirs(core.options.runsRoot)) {
        const runId = basename(runDir);
        if (core.runs.has(runId) || this.settled.has(runId)) continue;
        const state = await loadRunState(runDir);
        if (isFinal(state.summary.status)) this.settled.add(runId);
        if (!state.alive || !state.process || core.runs.has(runId) || core.closed) continue;
        const run = await attachLive(core, state, state.process);
        core.fanout.publish(run.summary, [], true);
      }
    } finally {
      this.scanning = false;
    }
  }
}
