// The run manager's option and bookkeeping types (kept apart so run-manager.ts reads as behaviour).
import type { EventsTailer } from './events-tailer';
import type { LiveFanout } from './live-fanout';
import type { StopOptions } from './process-tree';
import type { ProcessInfo, RunMeta, RunParent, TrainerConfig } from './run-files';
import type { RunQueue } from './run-queue';
import type { RunSummary } from './run-summary';
import type { GpuTelemetrySource, TelemetryPoller } from './telemetry';

export interface RunManagerOptions {
  runsRoot: string;
  /** The trainer's interpreter; default: the managed environment. */
  python?: string;
  /** GPU telemetry; default nvidia-smi via the hardware service, null for none. */
  telemetry?: GpuTelemetrySource | null;
  stop?: StopOptions;
  /** Minimum time between two updates of one run to subscribers (default 100 ms ≈ 10/s). */
  fanoutMs?: number;
  /** Fallback poll of events files and of re-attached processes (default 2 s; fs.watch is the fast path). */
  pollMs?: number;
  /** How often a run waiting for another process's run retries the device lock (default 1 s). */
  lockRetryMs?: number;
  /** Extra environment for the trainer (tests point HF caches somewhere harmless). */
  env?: Record<string, string>;
}

/** One run this manager watches (queued, running, or ended since it opened). */
export interface LiveRun {
  runId: string;
  runDir: string;
  meta: RunMeta;
  summary: RunSummary;
  tailer: EventsTailer | null;
  process: ProcessInfo | null;
  telemetry: TelemetryPoller | null;
  liveness: NodeJS.Timeout | null;
  /** Retrying the device locks while another process's run holds them. */
  lockWait: NodeJS.Timeout | null;
  ended: Promise<RunSummary>;
  resolveEnded: (summary: RunSummary) => void;
  stopping: boolean;
  /** The end has been recorded and announced (exactly once). */
  done: boolean;
}

/**
 * What the run manager's parts share (launching, watching, ending, re-attaching, stopping): the
 * runs it watches, the GPU-set queue, the subscribers, and whether it is closed.
 */
export interface RunCore {
  readonly options: RunManagerOptions;
  readonly runs: Map<string, LiveRun>;
  readonly queue: RunQueue;
  readonly fanout: LiveFanout;
  /** Closed: the manager only stopped watching; its runs go on and a later instance re-attaches. */
  closed: boolean;
  /** Launches a run the queue let go when another ended (a hook, so ending need not import launching). */
  launchQueued(runId: string): Promise<void>;
}

export interface StartOptions {
  /** Fixed run id (tests, imports); default `<time>-<method>-<short>`. */
  runId?: string;
  /** GPU indices; several go through the DeepSpeed launcher. Default: the trainer's device choice. */
  gpus?: number[];
  /** Where relative paths in the config are relative to (default: the current directory). */
  baseDir?: string;
  parent?: RunParent;
  preset?: string;
  /** 'preflight': a two-step probe run, hidden from the runs list (see preflight.ts). */
  kind?: 'preflight';
}

export interface ResumeOptions {
  /** Checkpoint step; default the last complete checkpoint. */
  step?: number;
  /** Settings to change, in the trainer's flag names (max_steps, learning_rate, ...). */
  overrides?: TrainerConfig;
  runId?: string;
  gpus?: number[];
  baseDir?: string;
}

/** run-meta.json stand-in for a run made without the app (by hand with `python -m tunedesk train`). */
export const unmanagedMeta = (runId: string): RunMeta => ({ run_id: runId, created_at: 0, gpus: [], parent: null });
