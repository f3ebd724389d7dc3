// Deleting a run or one of its checkpoints, refusing what is in use: a live run, or the
// checkpoint a live resumed run is reading.
import { join } from 'node:path';
import { loadRunState } from '../runs/run-state';
import { assertSafeRunId } from '../runs/run-id';
import { deleteFolder, type DeleteHow } from './delete-to-trash';

export async function deleteRun(runsRoot: string, runId: string, permanent = false): Promise<{ how: DeleteHow; path: string }> {
  assertSafeRunId(runId);
  const path = join(runsRoot, runId);
  const state = await loadRunState(path);
  if (state.summary.status === 'running') {
    throw new Error(`run ${runId} is still running; stop it first (tunedesk stop ${runId})`);
  }
  return { how: await deleteFolder(path, { permanent }), path };
}

export async function deleteCheckpoint(
  runsRoot: string,
  runId: string,
  name: string,
  permanent = false,
): Promise<{ how: DeleteHow; path: string }> {
  assertSafeRunId(runId);
  if (!/^(step-\d+|\.tmp-step-\d+-\d+)$/.test(name)) throw new Error(`"${name}" is not a checkpoint folder name (step-NNNNNN)`);
  const path = join(runsRoot, runId, 'checkpoints', name);
  const state = await loadRunState(join(runsRoot, runId));
  if (state.summary.status === 'running' && state.summary.lastCheckpoint?.path === `checkpoints/${name}`) {
    throw new Error(`checkpoint ${name} is the latest of the running run ${runId}; stop the run first`);
  }
  return { how: await deleteFolder(path, { permanent }), path };
}
