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

async function createExclusive(path: string, runId: string): Promise<boolean> {
  const body: LockBody = { runId, owner: process.pid, trainer: null, at: Date.now() / 1000 };
  try {
    await writeFile(path, JSON.stringify(body), { flag: 'wx' }); // O_CREAT | O_EXCL
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return false;
  }
}

/**
 * Runs `fn` while holding the lock's guard file (`<lock>.guard`, O_EXCL). Taking over a stale lock
 * and releasing one are read-then-remove steps: without the guard, two waiters that both judged a
 * lock stale could each remove it (the second removing the fresh lock the first had just made)
 * and two runs would start together. A guard left by a crash is removed after 10 s.
 */
async function withGuard<T>(path: string, fn: () => Promise<T>): Promise<T | null> {
  const guard = `${path}.guard`;
  for (let attempt = 0; attempt < 200; attempt++) {
    let held = false;
    try {
      await writeFile(guard, String(process.pid), { flag: 'wx' });
      held = true;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return null; // the runs root itself is gone: no lock left to guard
      if (code !== 'EEXIST') throw error;
      const age = Date.now() - ((await stat(guard).catch(() => null))?.mtimeMs ?? Date.now());
      if (age > 10_000) await unlink(guard).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 10));
    }
    if (!held) continue;
    try {
      return await fn();
    } finally {
      await unlink(guard).catch(() => undefined);
    }
  }
  return null; // the guard stayed busy: treat the lock as held and try again later
}

async function tryCreate(path: string, runId: string): Promise<boolean> {
  if (await createExclusive(path, runId)) return true;
  const held = await readLock(path);
  if (held?.runId === runId) return true; // ours already (a retry)
  if (!(await isStale(path))) return false;
  // Stale: under the guard, judge again (another waiter may have taken it over since) and replace it.
  const taken = await withGuard(path, async () => {
    const now = await readLock(path);
    if (now?.runId === runId) return true;
    if (!(await isStale(path))) return false; // taken over by another waiter, or gone this instant
    await unlink(path).catch(() => undefined);
    return createExclusive(path, runId);
  });
  return taken === true;
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
    if ((await readLock(path))?.runId !== runId) continue; // not ours (any more): nothing to guard
    // Under the guard, so a waiter taking the lock over at this instant never loses its fresh lock.
    await withGuard(path, async () => {
      if ((await readLock(path))?.runId === runId) await unlink(path).catch(() => undefined);
    });
  }
}
