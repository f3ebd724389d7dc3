// One Hub download at a time per host: starts `tunedesk pull` (pull-runner), keeps the latest
// progress so a reloaded window can show it, publishes every step, and cancels on request or
// when the host shuts down (the partial files stay; the next pull resumes).
import { randomUUID } from 'node:crypto';
import type { PullOutcome, PullProgress } from '../../shared/contract/hub';
import { runPull, type PullArgs, type PullRunOptions } from './pull-runner';
import { HUB_TOKEN, type SecretStore } from './secret-store';

export class PullBusyError extends Error {
  constructor(readonly repoId: string) {
    super(`${repoId} is downloading now; TuneDesk downloads one model at a time.`);
    this.name = 'PullBusyError';
  }
}

export interface PullManagerDeps {
  dataDir: string;
  secrets: SecretStore;
  endpoint: () => Promise<string>;
  publish: (progress: PullProgress) => void;
  /** Replaced in tests; runPull by default. */
  run?: (args: PullArgs, options: PullRunOptions) => Promise<PullOutcome>;
  runOptions?: Pick<PullRunOptions, 'python' | 'env'>;
}

interface Current {
  jobId: string;
  controller: AbortController;
  progress: PullProgress;
  done: Promise<PullOutcome>;
}

export class PullManager {
  private current: Current | null = null;

  constructor(private readonly deps: PullManagerDeps) {}

  /** Starts a download; resolves with its job id at once (the outcome arrives as the last progress event). */
  async start(request: { repoId: string; revision: string; allowPickle: boolean }): Promise<{ jobId: string; done: Promise<PullOutcome> }> {
    if (this.current) throw new PullBusyError(this.current.progress.repoId);
    const jobId = randomUUID();
    const controller = new AbortController();
    const progress: PullProgress = { jobId, repoId: request.repoId, phase: 'starting', bytesDone: 0, bytesTotal: 0, speedBps: 0, etaSeconds: null };
    // Claimed before the first await, so two clicks cannot start two downloads.
    const current: Current = { jobId, controller, progress, done: Promise.resolve({ status: 'cancelled' }) };
    this.current = current;
    try {
      const [endpoint, token] = await Promise.all([this.deps.endpoint(), this.deps.secrets.get(HUB_TOKEN)]);
      this.deps.publish(progress);
      const run = this.deps.run ?? runPull;
      current.done = run(
        { repoId: request.repoId, revision: request.revision, dataDir: this.deps.dataDir, endpoint, allowPickle: request.allowPickle, token },
        {
          ...this.deps.runOptions,
          signal: controller.signal,
          onStep: (step) => {
            current.progress = { ...current.progress, ...step };
            this.deps.publish(current.progress);
          },
        },
      )
        .catch((error: unknown): PullOutcome => ({ status: 'failed', error: { kind: 'trainer', message: `The download could not run: ${(error as Error).message}`, hint: 'Pull again to resume.' } }))
        .then((outcome) => {
          this.current = null;
          const last: PullProgress = { ...current.progress, phase: 'done', speedBps: 0, etaSeconds: null, outcome };
          this.deps.publish(last);
          return outcome;
        });
    } catch (error) {
      this.current = null;
      throw error;
    }
    return { jobId, done: current.done };
  }

  cancel(jobId: string): boolean {
    if (this.current?.jobId !== jobId) return false;
    this.current.controller.abort();
    return true;
  }

  cancelAll(): void {
    this.current?.controller.abort();
  }

  running(): PullProgress | null {
    return this.current ? this.current.progress : null;
  }
}
