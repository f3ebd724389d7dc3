// The host's one run manager and the quit guard's view of its trainings. The manager is opened on
// first use (re-attached to live runs, its updates published on 'runs.update', the runs root
// watched for runs started elsewhere); `trainings` opens it too, so the quit guard sees runs left
// running by an earlier launch or the CLI whether or not a runs call came first.
import { RunManager } from '../services/runs/run-manager';
import type { EventHub } from './event-hub';

/** A training the host started (or re-attached to) that is still running. */
export interface RunningTraining {
  runId: string;
  label: string;
}

/** What the host needs to know about trainings when it quits. */
export interface TrainingControl {
  running(): Promise<RunningTraining[]>;
  /** Asks the run to stop cooperatively (it saves a checkpoint) and resolves when it has ended. */
  stop(runId: string): Promise<void>;
}

export interface RunManagerHost {
  runsRoot: string;
  events: EventHub;
  onShutdown(cleanup: () => void | Promise<void>): void;
}

/** Opens the host's run manager: re-attached, wired to the event hub, closed on shutdown. */
export async function openRunManager(host: RunManagerHost): Promise<RunManager> {
  const manager = new RunManager({ runsRoot: host.runsRoot });
  manager.subscribe('*', (update) => host.events.publish('runs.update', update));
  await manager.init({ adoptQueued: true });
  manager.watchRoot(); // runs started from the CLI or another window show live too
  // Closing the host stops watching, never the runs: they go on and are re-attached next time.
  host.onShutdown(() => manager.close());
  return manager;
}

/** The trainings of the host's run manager (opened by the first question if need be). */
export function trainingsOf(runs: () => Promise<RunManager>): TrainingControl {
  return {
    running: async () =>
      (await runs())
        .list()
        .filter((s) => s.status === 'running' || s.status === 'queued')
        .map((s) => ({ runId: s.runId, label: `${s.runId} (step ${s.step}${s.totalSteps ? `/${s.totalSteps}` : ''})` })),
    stop: async (runId) => {
      await (await runs()).stop(runId);
    },
  };
}
