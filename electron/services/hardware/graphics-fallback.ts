// Non-NVIDIA graphics (AMD, Intel, Apple Silicon with unified memory) through systeminformation,
// run in a child Node process with a timeout: si.graphics() calls nvidia-smi with execFileSync
// and no timeout, which must never block the caller. Only used when nvidia-smi found no GPU.
import { fileURLToPath } from 'node:url';
import type { Gpu, GpuSource } from '../../shared/contract/hardware';
import { runBounded } from '../python-env/bounded-run';

const PROBE = fileURLToPath(new URL('./graphics-probe.mjs', import.meta.url));
const MiB = 1024 * 1024;

interface Controller {
  vendor: string;
  model: string;
  vram: number | null;
  vramDynamic: boolean;
  busAddress: string | null;
  driverVersion: string | null;
}

function vendorOf(c: Controller): Gpu['vendor'] {
  const v = `${c.vendor} ${c.model}`.toLowerCase();
  if (v.includes('nvidia')) return 'nvidia';
  if (v.includes('amd') || v.includes('advanced micro') || v.includes('radeon')) return 'amd';
  if (v.includes('intel')) return 'intel';
  if (v.includes('apple')) return 'apple';
  return 'other';
}

/** Controllers -> GPUs. Unified-memory GPUs have no VRAM of their own: memory stays null. */
export function controllersToGpus(controllers: Controller[]): Gpu[] {
  return controllers.map((c, index) => {
    const vendor = vendorOf(c);
    const unified = vendor === 'apple' || c.vramDynamic;
    const total = !unified && c.vram ? c.vram * MiB : null;
    return {
      key: c.busAddress ? `pci:${c.busAddress}` : `${vendor}:${index}`,
      index,
      uuid: null,
      busId: c.busAddress,
      name: c.model || c.vendor || 'unknown graphics controller',
      vendor,
      driverVersion: c.driverVersion,
      memoryTotalBytes: total,
      memoryUsedBytes: null,
      memoryFreeBytes: null,
      utilizationPct: null,
      temperatureC: null,
      powerDrawW: null,
      powerLimitW: null,
      migMode: null,
      unifiedMemory: unified,
      source: 'systeminformation' as const,
    };
  });
}

export async function queryGraphicsFallback(timeoutMs = 5000): Promise<{ gpus: Gpu[]; source: GpuSource }> {
  const started = performance.now();
  const source = (status: GpuSource['status'], detail: string): GpuSource => ({
    name: 'systeminformation', status, detail, path: null, exitCode: null, elapsedMs: Math.round(performance.now() - started),
  });
  const result = await runBounded(process.execPath, [PROBE], { timeoutMs });
  if (result.timedOut) return { gpus: [], source: source('timeout', `graphics detection did not finish within ${timeoutMs} ms and was stopped`) };
  if (result.exitCode !== 0) return { gpus: [], source: source('error', `graphics detection failed: ${result.stderr.split('\n')[0] || result.startError || 'no message'}`) };
  try {
    const gpus = controllersToGpus(JSON.parse(result.stdout) as Controller[]);
    return { gpus, source: source('ok', gpus.length ? `${gpus.length} graphics controller(s)` : 'no graphics controller found') };
  } catch {
    return { gpus: [], source: source('error', 'graphics detection printed something that is not JSON') };
  }
}
