// One run per GPU set at a time; more wait in order and start by themselves. Two sets that share
// a GPU conflict (a run on 0,1 waits for a run on 1). CPU runs form their own set.

/** The key of a GPU selection: "cpu" or the sorted indices, e.g. "0,1". */
export const gpuSetKey = (gpus: number[] | undefined): string =>
  gpus && gpus.length > 0 ? [...new Set(gpus)].sort((a, b) => a - b).join(',') : 'cpu';

const overlaps = (a: string, b: string): boolean => {
  if (a === 'cpu' || b === 'cpu') return a === b;
  const set = new Set(a.split(','));
  return b.split(',').some((g) => set.has(g));
};

export interface QueueEntry {
  runId: string;
  gpuKey: string;
}

export class RunQueue {
  private readonly active = new Map<string, string>(); // runId -> gpuKey
  private readonly waiting: QueueEntry[] = [];

  /** Marks a run as holding its GPU set (e.g. a re-attached live run). */
  markActive(runId: string, gpuKey: string): void {
    this.active.set(runId, gpuKey);
  }

  /** Adds a run; true when it may start now, false when it waits its turn. */
  enqueue(runId: string, gpuKey: string): boolean {
    if (this.canStart(gpuKey) && !this.waiting.some((w) => overlaps(w.gpuKey, gpuKey))) {
      this.active.set(runId, gpuKey);
      return true;
    }
    this.waiting.push({ runId, gpuKey });
    return false;
  }

  /** A run ended (or was cancelled while waiting); returns the runs that may start now, in order. */
  release(runId: string): string[] {
    this.active.delete(runId);
    const waitingIndex = this.waiting.findIndex((w) => w.runId === runId);
    if (waitingIndex !== -1) this.waiting.splice(waitingIndex, 1);
    const started: string[] = [];
    // First come first served: a waiting run never overtakes an earlier one on an overlapping set.
    for (let i = 0; i < this.waiting.length; ) {
      const entry = this.waiting[i]!;
      const blockedByEarlier = this.waiting.slice(0, i).some((w) => overlaps(w.gpuKey, entry.gpuKey));
      if (!blockedByEarlier && this.canStart(entry.gpuKey)) {
        this.waiting.splice(i, 1);
        this.active.set(entry.runId, entry.gpuKey);
        started.push(entry.runId);
      } else {
        i += 1;
      }
    }
    return started;
  }

  private canStart(gpuKey: string): boolean {
    for (const key of this.active.values()) if (overlaps(key, gpuKey)) return false;
    return true;
  }

  /** Position in the waiting line (0 = next), or -1 when not waiting. */
  position(runId: string): number {
    return this.waiting.findIndex((w) => w.runId === runId);
  }

  isWaiting(runId: string): boolean {
    return this.position(runId) !== -1;
  }
}
