// What the runs and checkpoints bindings share: a run looked up by its id (its real folder, or a
// 404 that says so) and the run services' refusals as 4xx API errors.
import { NoTrashError } from '../services/runs/delete-to-trash';
import { resolveRunDir } from '../services/paths/run-paths';
import { BadNameError, InUseError, NothingThereError } from '../services/runs/refusals';
import { ResumeRefusedError } from '../services/runs/resume-rules';
import { loadRunState } from '../services/runs/run-state';
import { ApiError } from './api-error';
import type { ApiContext } from './context';

/** The run's REAL folder: a run folder that links out of the runs root is refused (403). */
export async function existingRunDir(ctx: ApiContext, runId: string): Promise<string> {
  const dir = await resolveRunDir(ctx.runsRoot, runId).catch(asApiError);
  const state = dir ? await loadRunState(dir) : null;
  if (!dir || !state || (!state.config && !state.meta && state.summary.updatedAt === null && state.problems.length === 0)) {
    throw new ApiError('not_found', `no run "${runId}" in ${ctx.runsRoot}`, 'Pick a run from the runs list.', 'runId');
  }
  return dir;
}

/** Service errors that are refusals, not faults: each becomes a 4xx with its code and message. */
export const asApiError = (error: unknown): never => {
  if (error instanceof ResumeRefusedError) throw new ApiError('resume_refused', error.message, 'Resume without these changes, or start a new run.');
  if (error instanceof NoTrashError) throw new ApiError('no_trash', error.message, 'Repeat with permanent: true to delete for good.');
  if (error instanceof InUseError) throw new ApiError('conflict', error.message, 'Stop the run first, then try again.');
  if (error instanceof NothingThereError) throw new ApiError('not_found', error.message, 'Refresh the list and pick again.');
  if (error instanceof BadNameError) throw new ApiError('invalid_request', error.message, 'Use a name exactly as the list shows it.');
  throw error;
};
