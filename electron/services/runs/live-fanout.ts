// Fans a run's live summary out to subscribers, batched: however fast events arrive, each
// subscriber gets at most ~10 updates per second per run, each carrying the events since the
// previous update (charts need every point; a UI does not need every repaint).
import type { TrainerEvent } from '../../shared/events';
import type { RunSummary } from './run-summary';

export interface RunUpdate {
  runId: string;
  summary: RunSummary;
  /** Events since the previous update to this run's subscribers. */
  events: TrainerEvent[];
}

export type RunListener = (update: RunUpdate) => void;

export class LiveFanout {
  private readonly listeners = new Map<string, Set<RunListener>>(); // '*' = every run
  private readonly pending = new Map<string, { summary: RunSummary; events: TrainerEvent[] }>();
  private readonly lastSent = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(private readonly intervalMs = 100) {}

  /** Subscribes to one run (or '*' for all); returns the unsubscribe function. */
  subscribe(runId: string | '*', listener: RunListener): () => void {
    let set = this.listeners.get(runId);
    if (!set) this.listeners.set(runId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(runId);
    };
  }

  /** Queues an update; delivered now if the last one was long enough ago, else at the next slot. */
  publish(summary: RunSummary, events: TrainerEvent[] = [], immediate = false): void {
    const runId = summary.runId;
    const pending = this.pending.get(runId);
    if (pending) {
      pending.summary = summary;
      for (const event of events) pending.events.push(event);
    } else {
      this.pending.set(runId, { summary, events: [...events] });
    }
    if (this.timers.has(runId)) return;
    const wait = immediate ? 0 : Math.max(0, (this.lastSent.get(runId) ?? 0) + this.intervalMs - Date.now());
    if (wait === 0) {
      this.flush(runId);
      return;
    }
    this.timers.set(
      runId,
      setTimeout(() => {
        this.timers.delete(runId);
        this.flush(runId);
      }, wait),
    );
  }

  /** Delivers whatever is pending for a run right away (e.g. its final status). */
  flush(runId: string): void {
    const timer = this.timers.get(runId);
    if (timer) clearTimeout(timer);
    this.timers.delete(runId);
    const pending = this.pending.get(runId);
    if (!pending) return;
    this.pending.delete(runId);
    this.lastSent.set(runId, Date.now());
    const update: RunUpdate = { runId, summary: pending.summary, events: pending.events };
    for (const key of [runId, '*']) {
      for (const listener of this.listeners.get(key) ?? []) {
        try {
          listener(update);
        } catch {
          // one broken subscriber must not starve the others
        }
      }
    }
  }

  close(): void {
    for (const runId of [...this.timers.keys()]) this.flush(runId);
  }
}
