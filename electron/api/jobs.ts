// Background jobs of one host (exports, generations), by id: started by a call, cancelled by
// another, and all aborted when the host shuts down.
import { randomUUID } from 'node:crypto';
import type { ApiContext } from './context';

/** Running jobs of one host, by id; aborted all at once when the host shuts down. */
export class JobRegistry {
  private readonly jobs = new Map<string, AbortController>();

  start(): { jobId: string; signal: AbortSignal } {
    const jobId = randomUUID();
    const controller = new AbortController();
    this.jobs.set(jobId, controller);
    return { jobId, signal: controller.signal };
  }

  finish(jobId: string): void {
    this.jobs.delete(jobId);
  }

  cancel(jobId: string): boolean {
    const controller = this.jobs.get(jobId);
    controller?.abort();
    return controller !== undefined;
  }

  cancelAll(): void {
    for (const controller of this.jobs.values()) controller.abort();
    this.jobs.clear();
  }
}

/** The host's one registry under `key` (one per feature), cancelled on shutdown. */
export function jobsFor(ctx: ApiContext, key: string): JobRegistry {
  return ctx.service(key, () => {
    const jobs = new JobRegistry();
    ctx.onShutdown(() => jobs.cancelAll());
    return jobs;
  });
}
