// The trainer's doctor starts Python and imports torch (seconds); its answer only changes when
// the environment does. So a good answer is kept on disk, keyed by the interpreter, the venv's
// installed packages (site-packages mtimes) and CUDA_VISIBLE_DEVICES, for at most a few hours.
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { trainerEnvSchema, type TrainerEnv } from '../../shared/contract/hardware';
import { defaultDataDir } from '../settings/runs-root';
import { trainerDoctor } from './doctor';
import { trainerPythonPath } from './trainer-python';

export const DOCTOR_CACHE_TTL_MS = 6 * 60 * 60 * 1000;

export interface DoctorCacheOptions {
  /** Ignore the cache and ask Python again. */
  fresh?: boolean;
  cacheDir?: string;
  ttlMs?: number;
  python?: string;
  env?: NodeJS.ProcessEnv;
  /** The uncached doctor (tests inject one). */
  run?: () => Promise<TrainerEnv>;
  now?: () => number;
}

async function mtime(path: string): Promise<number | null> {
  try {
    return (await stat(path)).mtimeMs;
  } catch {
    return null;
  }
}

/** What invalidates the answer: interpreter, venv config, every site-packages directory, visible GPUs. */
export async function environmentKey(python: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const venv = dirname(dirname(python));
  const parts: Array<string | number | null> = [python, await mtime(python), await mtime(join(venv, 'pyvenv.cfg')), env.CUDA_VISIBLE_DEVICES ?? '*'];
  for (const lib of [join(venv, 'lib'), join(venv, 'Lib')]) {
    let entries: string[] = [];
    try {
      entries = await readdir(lib);
    } catch {
      continue;
    }
    for (const entry of entries.sort()) {
      const site = entry.toLowerCase() === 'site-packages' ? join(lib, entry) : join(lib, entry, 'site-packages');
      parts.push(site, await mtime(site));
    }
  }
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

interface CacheFile {
  key: string;
  savedAt: number;
  env: unknown;
}

export async function cachedTrainerDoctor(options: DoctorCacheOptions = {}): Promise<TrainerEnv> {
  const python = options.python ?? trainerPythonPath(options.env);
  const run = options.run ?? (() => trainerDoctor());
  const now = options.now ?? Date.now;
  const file = join(options.cacheDir ?? join(defaultDataDir(), 'cache'), `doctor-${createHash('sha1').update(python).digest('hex').slice(0, 12)}.json`);
  const key = await environmentKey(python, options.env);
  if (!options.fresh) {
    try {
      const cached = JSON.parse(await readFile(file, 'utf8')) as CacheFile;
      const parsed = trainerEnvSchema.safeParse(cached.env);
      if (cached.key === key && now() - cached.savedAt < (options.ttlMs ?? DOCTOR_CACHE_TTL_MS) && parsed.success) {
        const minutes = Math.round((now() - cached.savedAt) / 60_000);
        return { ...parsed.data, detail: `${parsed.data.detail} (checked ${minutes} min ago; \`tunedesk doctor --fresh\` checks again)` };
      }
    } catch {
      // no cache yet, or an unreadable one: ask Python
    }
  }
  const env = await run();
  if (env.status === 'ok') {
    // Only good answers are kept: a failure should be retried as soon as the user fixes it.
    try {
      await mkdir(dirname(file), { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      await writeFile(tmp, JSON.stringify({ key, savedAt: now(), env } satisfies CacheFile));
      await rename(tmp, file);
    } catch {
      // a read-only data folder only costs speed
    }
  }
  return env;
}
