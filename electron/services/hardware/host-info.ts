// CPU, RAM, disk and OS through systeminformation. None of these calls spawn nvidia-smi (only
// si.graphics() does, synchronously and without a timeout, which is why graphics goes through
// graphics-fallback.ts in a child process).
import { resolve } from 'node:path';
import si from 'systeminformation';
import type { HostInfo } from '../../shared/contract/hardware';

async function attempt<T>(what: string, problems: string[], run: () => Promise<T>): Promise<T | null> {
  try {
    return await run();
  } catch (error) {
    problems.push(`${what} could not be read: ${(error as Error).message}`);
    return null;
  }
}

/** The mount holding `path`: the longest mount point that prefixes it. */
function mountFor<T extends { mount: string }>(mounts: T[], path: string): T | null {
  const target = resolve(path);
  const within = (m: string) => target === m || target.startsWith(m.endsWith('/') || m.endsWith('\\') ? m : `${m}/`) || target.toLowerCase().startsWith(m.toLowerCase());
  return mounts.filter((m) => m.mount && within(m.mount)).sort((a, b) => b.mount.length - a.mount.length)[0] ?? null;
}

export async function hostInfo(diskPath: string): Promise<HostInfo> {
  const problems: string[] = [];
  const [cpu, memory, disk, os] = await Promise.all([
    attempt('CPU', problems, async () => {
      const c = await si.cpu();
      return { brand: `${c.manufacturer} ${c.brand}`.trim(), physicalCores: c.physicalCores, logicalCores: c.cores };
    }),
    attempt('memory', problems, async () => {
      const m = await si.mem();
      return { totalBytes: m.total, availableBytes: m.available };
    }),
    attempt('disk', problems, async () => {
      const mount = mountFor(await si.fsSize(), diskPath);
      if (!mount) throw new Error(`no filesystem found for ${diskPath}`);
      return { path: diskPath, mount: mount.mount, totalBytes: mount.size, freeBytes: mount.available };
    }),
    attempt('OS', problems, async () => {
      const o = await si.osInfo();
      return { platform: o.platform, distro: o.distro, release: o.release, arch: o.arch };
    }),
  ]);
  return { cpu, memory, disk, os, problems };
}
