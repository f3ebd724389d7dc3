// One run at a time per device, across processes: the app, browser mode and every CLI call share
// the runs root, so the lock lives there — one file per device (`.lock-cpu`, `.lock-gpu0`, ...)
// created with O_EXCL (exactly one creator wins). It names the run and, once launched, its trainer
// (pid + start time); a lock whose trainer is gone — or whose launching process died before the
// trainer started — is stale and is taken over. Held for the whole run, released when it ends.
import { readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isPidAlive, isSameProcessAlive } from './process-tree';

interface LockBody {
  runId: string;
  /** The process that took the lock (an app, a browser-mode host or a CLI call). */
  owner: number;
  /** The trainer, once launched: the lock lives as long as it does. */
  trainer: { pid: number; start_time: string | null } | null;
  at: number;
}

/** Lock file names for a run's devices: the CPU, or each chosen GPU. */
export function deviceLocks(runsRoot: string, gpus: number[]): string[] {
  const keys = gpus.length > 0 ? [...new Set(gpus)].sort((a, b) => a - b).map((g) => `gpu${g}`) : ['cpu'];
  return keys.map((k) => join(runsRoot, `.lock-${k}`));
}

async function readLock(path: string): Promise<LockBody | null> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as LockBody;
  } catch {
    return null; // gone, or half-written by a creator this instant: treated as held (see isStale)
  }
}

async function isStale(path: string): Promise<boolean> {
  const body = await readLock(path);
  // Unreadable: being written this instant — or left empty by a crash long ago.
  if (!body) return ((await stat(path).catch(() => null))?.mtimeMs ?? Date.now()) < Date.now() - 10_000;
  if (body.trainer) return !(await isSameProcessAlive(body.trainer.pid, body.trainer.start_time));
  return !isPidAlive(body.owner);
}

async function tryCreate(path: string, runId: string): Promise<boolean> {
  const body: LockBody = { runId, owner: process.pid, trainer: null, at: Date.now() / 1000 };
  try {
    await writeFile(path, JSON.stringify(body), { flag: 'wx' }); // O_CREAT | O_EXCL
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const held = await readLock(path);
  if (held?.runId === runId) return true; // ours already (a retry)
  if (!(await isStale(path))) return false;
  // Stale: move it aside under a unique name (only one taker succeeds), then create afresh.
  const aside = `${path}.stale-${process.pid}-${Date.now()}`;
  try {
    await rename(path, aside);
    await unlink(aside);
  } catch {
    return false; // someone else took it over first
  }
  return tryCreate(path, runId);
}

/** Takes every lock of the run, or none (releases what it took): true when the run may launch. */
export async function acquireRunLocks(paths: string[], runId: string): Promise<boolean> {
  const taken: string[] = [];
  for (const path of paths) {
    if (await tryCreate(path, runId)) taken.push(path);
    else {
      await releaseRunLocks(taken, runId);
      return false;
    }
  }
  return true;
}

/** Records the launched trainer in the run's locks: from now on they live as long as it does. */
export async function recordTrainer(paths: string[], runId: string, trainer: { pid: number; start_time: string | null }): Promise<void> {
  for (const path of paths) {
    const body: LockBody = { runId, owner: process.pid, trainer, at: Date.now() / 1000 };
    const tmp = `${path}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(body));
    await rename(tmp, path);
  }
}

/** Removes the run's locks (only those that still name this run). */
export async function releaseRunLocks(paths: string[], runId: string): Promise<void> {
  for (const path of paths) {
    if ((await readLock(path))?.runId === runId) await unlink(path).catch(() => undefined);
  }
}
