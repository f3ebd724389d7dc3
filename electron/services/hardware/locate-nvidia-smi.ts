// Where nvidia-smi lives: TUNEDESK_NVIDIA_SMI first (WSL's /usr/lib/wsl/lib/nvidia-smi, unusual
// installs, tests), then PATH, then the places drivers put it when PATH does not say
// (Windows: System32 and the driver store; WSL: /usr/lib/wsl/lib).
import { constants } from 'node:fs';
import { access, readdir, stat } from 'node:fs/promises';
import { delimiter, join } from 'node:path';

export interface LocateOptions {
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  /** Absolute places to try when PATH has none (Linux/WSL); tests pass their own. */
  fallbackPaths?: string[];
}

const LINUX_FALLBACKS = ['/usr/lib/wsl/lib/nvidia-smi', '/usr/bin/nvidia-smi'];

export type Located = { path: string; via: string } | { path: null; why: string };

async function executable(path: string): Promise<boolean> {
  try {
    await access(path, process.platform === 'win32' ? constants.F_OK : constants.X_OK);
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** Newest nvidia-smi.exe under the Windows driver store (the driver installs it there). */
async function driverStoreCandidate(windir: string): Promise<string | null> {
  const base = join(windir, 'System32', 'DriverStore', 'FileRepository');
  let best: { path: string; mtime: number } | null = null;
  try {
    for (const dir of await readdir(base)) {
      if (!dir.toLowerCase().startsWith('nv')) continue;
      const path = join(base, dir, 'nvidia-smi.exe');
      try {
        const info = await stat(path);
        if (!best || info.mtimeMs > best.mtime) best = { path, mtime: info.mtimeMs };
      } catch {
        // this driver package has no nvidia-smi
      }
    }
  } catch {
    return null;
  }
  return best?.path ?? null;
}

export async function locateNvidiaSmi(options: LocateOptions = {}): Promise<Located> {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const override = env.TUNEDESK_NVIDIA_SMI;
  if (override) {
    return (await executable(override))
      ? { path: override, via: 'TUNEDESK_NVIDIA_SMI' }
      : { path: null, why: `TUNEDESK_NVIDIA_SMI names ${override}, which is not an executable file; fix or unset it` };
  }
  if (platform === 'darwin') return { path: null, why: 'macOS has no NVIDIA driver' };
  const exe = platform === 'win32' ? 'nvidia-smi.exe' : 'nvidia-smi';
  for (const dir of (env.PATH ?? env.Path ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(dir, exe);
    if (await executable(candidate)) return { path: candidate, via: 'PATH' };
  }
  if (platform === 'win32') {
    const windir = env.WINDIR ?? env.SystemRoot ?? 'C:\\Windows';
    const system32 = join(windir, 'System32', exe);
    if (await executable(system32)) return { path: system32, via: 'System32' };
    const store = await driverStoreCandidate(windir);
    if (store) return { path: store, via: 'driver store' };
  } else {
    for (const candidate of options.fallbackPaths ?? LINUX_FALLBACKS) {
      if (await executable(candidate)) return { path: candidate, via: candidate };
    }
  }
  return { path: null, why: 'nvidia-smi is not installed (no NVIDIA driver found); an NVIDIA GPU needs the driver from nvidia.com' };
}
