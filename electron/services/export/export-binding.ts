// Bindings of contract/export.ts: export jobs run in the background (one trainer process each),
// their progress and outcome published on 'export.progress'; cancel aborts the process; list
// reads <run>/exports/*/export.json.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ApiError } from '../../api/api-error';
import type { ApiContext } from '../../api/context';
import type { HandlerMap } from '../../api/handler-types';
import { listCheckpoints } from '../checkpoints/checkpoint-list';
import { resolveCheckpoint, CheckpointTargetError, runExport } from './export-service';
import { resolveInRun, resolveRunDir } from '../paths/run-paths';

type ExportCall = 'export.start' | 'export.cancel' | 'export.list';

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

export function jobsFor(ctx: ApiContext, key: string): JobRegistry {
  return ctx.service(key, () => {
    const jobs = new JobRegistry();
    ctx.onShutdown(() => jobs.cancelAll());
    return jobs;
  });
}

async function checkpointOf(ctx: ApiContext, runId: string, name?: string): Promise<string> {
  // The run's real folder: one that links out of the runs root is refused (403).
  const runDir = await resolveRunDir(ctx.runsRoot, runId);
  if (!runDir || !existsSync(runDir)) throw new ApiError('not_found', `no run "${runId}" under ${ctx.runsRoot}`, undefined, 'runId');
  if (name) {
    const found = (await listCheckpoints(runDir)).find((c) => c.name === name);
    if (!found?.complete) {
      throw new ApiError('not_found', `checkpoint ${name} of run ${runId} ${found ? `is incomplete: ${found.problem}` : 'does not exist'}`, 'Choose a complete checkpoint.', 'checkpoint');
    }
    return found.absolutePath;
  }
  try {
    return (await resolveCheckpoint(runDir, ctx.runsRoot)).checkpointDir;
  } catch (error) {
    if (error instanceof CheckpointTargetError) throw new ApiError('not_found', error.message, 'Wait for the first checkpoint to be saved.', 'runId');
    throw error;
  }
}

const numberOr = (v: unknown) => (typeof v === 'number' ? v : null);
const stringOr = (v: unknown) => (typeof v === 'string' ? v : null);

export const exportHandlers: HandlerMap<ExportCall> = {
  'export.start': async (request, ctx) => {
    const checkpoint = await checkpointOf(ctx, request.runId, request.checkpoint);
    const jobs = jobsFor(ctx, 'export.jobs');
    const { jobId, signal } = jobs.start();
    let last = { stage: 'start', fraction: 0 };
    const publish = (extra: { message?: string } = {}) => ctx.events.publish('export.progress', { jobId, ...last, done: false, ...extra });
    void runExport(
      {
        checkpoint,
        format: request.format,
        force: request.force,
        ...(request.dtype ? { dtype: request.dtype } : {}),
        ...(request.out ? { out: request.out } : {}),
      },
      {
        signal,
        onProgress(progress) {
          last = progress;
          publish();
        },
        onMessage: (message) => publish({ message }),
      },
    )
      .then((outcome) => ctx.events.publish('export.progress', { jobId, ...last, done: true, outcome }))
      .finally(() => jobs.finish(jobId));
    return { jobId, checkpoint };
  },
  'export.cancel': (request, ctx) => ({ cancelled: jobsFor(ctx, 'export.jobs').cancel(request.jobId) }),
  'export.list': async (request, ctx) => {
    const runDir = await resolveRunDir(ctx.runsRoot, request.runId);
    const dir = runDir ? await resolveInRun(runDir, 'exports') : null;
    if (!dir) return { exports: [] };
    let names: string[] = [];
    try {
      names = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name);
    } catch {
      return { exports: [] };
    }
    const exports = [];
    for (const name of names.sort()) {
      let record: Record<string, unknown> = {};
      try {
        record = JSON.parse(await readFile(join(dir, name, 'export.json'), 'utf8')) as Record<string, unknown>;
      } catch {
        continue; // not an export (no export.json): nothing half-written is ever listed
      }
      const verification = (record.verification ?? {}) as Record<string, unknown>;
      exports.push({
        name,
        path: join(dir, name),
        kind: stringOr(record.kind),
        format: stringOr(record.export_format),
        dtype: stringOr(record.dtype),
        step: numberOr(record.step),
        passed: typeof verification.passed === 'boolean' ? verification.passed : null,
        maxAbsLogitDiff: numberOr(verification.max_abs_logit_diff),
        created: numberOr(record.created),
      });
    }
    return { exports };
  },
};
