// CPU, RAM, disk and OS through systeminformation. None of these calls spawn nvidia-smi (only
// si.graphics() does, synchronously and without a timeout, which is why graphics goes through
// graphics-fallback.ts in a child process).
import { resolve } from 'node:path';
import si from 'systeminformation';
import type { HostInfo } from '../../shared/contract/hardware';

/** Each probe gets this long; a stuck one (a hung network mount in df, say) is reported, not awaited. */
export const HOST_PROBE_TIMEOUT_MS = 5000;

async function attempt<T>(what: string, problems: string[], run: () => Promise<T>, timeoutMs: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([run(), timeout]);
  } catch (error) {
    problems.push(`${what} could not be read: ${(error as Error).message}`);
    return null;
  } finally {
    clearTimeout(timer);
  }
}

/** The mount holding `path`: the longest mount point that prefixes it. */
function mountFor<T extends { mount: string }>(mounts: T[], path: string): T | null {
  const target = resolve(path);
  const within = (m: string) => target === m || target.startsWith(m.endsWith('/') || m.endsWith('\\') ? m : `${m}/`) || target.toLowerCase().startsWith(m.toLowerCase());
  return mounts.filter((m) => m.mount && within(m.mount)).sort((a, b) => b.mount.length - a.mount.length)[0] ?? null;
}

export async function hostInfo(diskPath: string, timeoutMs = HOST_PROBE_TIMEOUT_MS): Promise<HostInfo> {
  const problems: string[] = [];
  const [cpu, memory, disk, os] = await Promise.all([
    attempt('CPU', problems, async () => {
      const c = await si.cpu();
      return { brand: `${c.manufacturer} ${c.brand}`.trim(), physicalCores: c.physicalCores, logicalCores: c.cores };
    }, timeoutMs),
    attempt('memory', problems, async () => {
      const m = await si.mem();
      return { totalBytes: m.total, availableBytes: m.available };
    }, timeoutMs),
    attempt('disk', problems, async () => {
      const mount = mountFor(await si.fsSize(), diskPath);
      if (!mount) throw new Error(`no filesystem found for ${diskPath}`);
      return { path: diskPath, mount: mount.mount, totalBytes: mount.size, freeBytes: mount.available };
    }, timeoutMs),
    attempt('OS', problems, async () => {
      const o = await si.osInfo();
      return { platform: o.platform, distro: o.distro, release: o.release, arch: o.arch };
    }, timeoutMs),
  ]);
  return { cpu, memory, disk, os, problems };
}
