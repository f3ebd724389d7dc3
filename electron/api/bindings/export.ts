// Bindings of contract/export.ts: export jobs run in the background (one trainer process each),
// their progress and outcome published on 'export.progress'; cancel aborts the process; list
// reads <run>/exports/*/export.json.
import { existsSync } from 'node:fs';
import { ApiError } from '../api-error';
import type { ApiContext } from '../context';
import type { HandlerMap } from '../handler-types';
import { jobsFor } from '../jobs';
import { listExports } from '../../services/export/export-list';
import { listCheckpoints } from '../../services/checkpoints/checkpoint-list';
import { resolveCheckpoint, CheckpointTargetError, runExport } from '../../services/export/export-service';
import { resolveInRun, resolveRunDir } from '../../services/paths/run-paths';

type ExportCall = 'export.start' | 'export.cancel' | 'export.list';

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
    return { exports: await listExports(dir) };
  },
};
