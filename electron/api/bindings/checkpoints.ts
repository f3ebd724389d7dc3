// Bindings of contract/checkpoints.ts: a run's checkpoints, listed and deleted.
import { listCheckpoints } from '../../services/checkpoints/checkpoint-list';
import { deleteCheckpoint } from '../../services/runs/delete-run';
import { resolveInRun } from '../../services/paths/run-paths';
import type { HandlerMap } from '../handler-types';
import { asApiError, existingRunDir } from '../run-refusals';

export const checkpointsHandlers: HandlerMap<'checkpoints.list' | 'checkpoints.delete'> = {
  'checkpoints.list': async ({ runId }, ctx) => {
    const dir = await existingRunDir(ctx, runId);
    await resolveInRun(dir, 'checkpoints').catch(asApiError); // a checkpoints folder that links out: 403
    return { checkpoints: await listCheckpoints(dir) };
  },
  'checkpoints.delete': async ({ runId, name, permanent }, ctx) => {
    return deleteCheckpoint(ctx.runsRoot, runId, name, permanent).catch(asApiError);
  },
};
