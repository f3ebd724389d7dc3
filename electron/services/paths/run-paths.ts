// Paths inside the runs root, checked on REAL paths: a run folder, a checkpoints folder or a file
// that is a symbolic link may lead anywhere, so every run and checkpoint operation resolves the
// link first and refuses what ends up outside the runs root (or outside its own run folder).
// Deletes never follow links: the last component is looked at with lstat, and a link is removed
// itself, never its target.
import { lstat, realpath } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { BadNameError } from '../runs/refusals';
import { isWithin, PathRefusedError } from './path-guard';

export { BadNameError };

const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const LINK_HINT = 'Move the folder into the runs folder instead of linking to it, or remove the link.';


async function realOrNull(path: string): Promise<string | null> {
  try {
    return await realpath(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP') return null;
    throw error;
  }
}

/** The runs root's own real path (the root itself may be a link: the user chose it). */
export async function realRunsRoot(runsRoot: string): Promise<string> {
  return (await realOrNull(runsRoot)) ?? resolve(runsRoot);
}

export function assertRunIdName(runId: string): void {
  if (!RUN_ID.test(runId)) throw new BadNameError(`"${runId}" is not a valid run id (letters, digits, ".", "_" and "-" only)`);
}

/** Refuses `real` unless it lies inside `root`; `what` names it in the message. */
export function assertInside(root: string, real: string, what: string): void {
  if (real === root || !isWithin(root, real)) {
    throw new PathRefusedError(`${what} leads to ${JSON.stringify(real)}, outside the runs folder ${JSON.stringify(root)}; TuneDesk does not follow it.`, LINK_HINT);
  }
}

/**
 * The real folder of run `runId`, or null when there is none. A run folder that is a link is
 * followed only when its target is itself inside the runs root.
 */
export async function resolveRunDir(runsRoot: string, runId: string): Promise<string | null> {
  assertRunIdName(runId);
  const root = await realRunsRoot(runsRoot);
  const real = await realOrNull(join(root, runId));
  if (real === null) return null;
  assertInside(root, real, `run ${runId}`);
  return real;
}

/**
 * A path inside a run folder (`runDir` already real), by its segments, resolved through links;
 * null when it does not exist. Refused when it leads out of the run folder.
 */
export async function resolveInRun(runDir: string, ...segments: string[]): Promise<string | null> {
  const real = await realOrNull(join(runDir, ...segments));
  if (real === null) return null;
  if (real !== runDir) assertInside(runDir, real, `${basename(runDir)}/${segments.join('/')}`);
  return real;
}

/** Same as resolveInRun, but answers false instead of refusing (for listings that skip what leaks). */
export async function staysInRun(runDir: string, ...segments: string[]): Promise<boolean> {
  try {
    await resolveInRun(runDir, ...segments);
    return true;
  } catch (error) {
    if (error instanceof PathRefusedError) return false;
    throw error;
  }
}

/**
 * Where a delete of `runDir/segments...` may act: its parent resolved (and checked) through links,
 * the last component NOT followed. `isLink` says it is a link, to be unlinked itself.
 */
export async function deletionTarget(runsRoot: string, lexical: string): Promise<{ path: string; isLink: boolean } | null> {
  const root = await realRunsRoot(runsRoot);
  const parent = await realOrNull(dirname(lexical));
  if (parent === null) return null;
  if (parent !== root) assertInside(root, parent, JSON.stringify(dirname(lexical)));
  const path = join(parent, basename(lexical));
  const info = await lstat(path).catch(() => null);
  if (!info) return null;
  return { path, isLink: info.isSymbolicLink() };
}
