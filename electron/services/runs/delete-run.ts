// Deleting a run or one of its checkpoints, refusing what is in use: a live run, or the
// checkpoint a live resumed run is reading. Links are never followed: a run folder, checkpoints
// folder or checkpoint that is a link is removed itself (the link), never what it points to, and a
// checkpoint whose parent folders lead out of the runs root is refused.
import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { loadRunState } from './run-state';
import { assertRunIdName, deletionTarget, realRunsRoot } from '../paths/run-paths';
import { BadNameError, InUseError, NothingThereError } from './refusals';
import { deleteFolder, type DeleteHow } from './delete-to-trash';

const CHECKPOINT_NAME = /^(step-\d+|\.tmp-step-\d+-\d+)$/;

export async function deleteRun(runsRoot: string, runId: string, permanent = false): Promise<{ how: DeleteHow; path: string }> {
  assertRunIdName(runId);
  const target = await deletionTarget(runsRoot, join(await realRunsRoot(runsRoot), runId));
  if (!target) throw new NothingThereError(`no run "${runId}" in ${runsRoot}`);
  if (target.isLink) {
    await unlink(target.path); // the link only: what it points to is not the app's to delete
    return { how: 'deleted', path: target.path };
  }
  const state = await loadRunState(target.path);
  if (state.summary.status === 'running' || state.summary.status === 'queued') {
    throw new InUseError(`run ${runId} is still ${state.summary.status}; stop it first (tunedesk stop ${runId}), then delete it.`);
  }
  return { how: await deleteFolder(target.path, { permanent }), path: target.path };
}

export async function deleteCheckpoint(
  runsRoot: string,
  runId: string,
  name: string,
  permanent = false,
): Promise<{ how: DeleteHow; path: string }> {
  assertRunIdName(runId);
  if (!CHECKPOINT_NAME.test(name)) {
    throw new BadNameError(`"${name.slice(0, 100)}" is not a checkpoint folder name (step-NNNNNN, as listed by checkpoints.list)`);
  }
  const runDir = join(await realRunsRoot(runsRoot), runId);
  const target = await deletionTarget(runsRoot, join(runDir, 'checkpoints', name));
  if (!target) throw new NothingThereError(`run ${runId} has no checkpoint ${name}`);
  if (target.isLink) {
    await unlink(target.path);
    return { how: 'deleted', path: target.path };
  }
  const state = await loadRunState(runDir);
  if (state.summary.status === 'running' && state.summary.lastCheckpoint?.path === `checkpoints/${name}`) {
    throw new InUseError(`checkpoint ${name} is the latest of the running run ${runId}; stop the run first`);
  }
  return { how: await deleteFolder(target.path, { permanent }), path: target.path };
}
