// Parses `nvidia-smi --query-gpu=<QUERY_FIELDS> --format=csv,noheader,nounits` and explains its
// exit codes. Unknown readings ([N/A], [Not Supported], ...) become null, never 0.
import type { Gpu } from '../../shared/contract/hardware';

export const QUERY_FIELDS = [
  'index',
  'uuid',
  'pci.bus_id',
  'name',
  'driver_version',
  'memory.total',
  'memory.used',
  'memory.free',
  'utilization.gpu',
  'temperature.gpu',
  'power.draw',
  'power.limit',
  'mig.mode.current',
] as const;

const MiB = 1024 * 1024;

/** nvidia-smi writes these (bracketed or not) when a field cannot be read on this GPU. */
const UNKNOWN = /^\[?(N\/A|Not Supported|Unknown Error|Insufficient Permissions|GPU requires reset|Not Available)\]?$/i;

function text(value: string | undefined): string | null {
  const v = (value ?? '').trim();
  return v === '' || UNKNOWN.test(v) ? null : v;
}

function number(value: string | undefined): number | null {
  const v = text(value);
  if (v === null) return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

export interface ParsedGpus {
  gpus: Gpu[];
  /** Lines that did not have the expected shape (garbage, a warning banner). */
  rejected: string[];
}

export function parseNvidiaSmiCsv(stdout: string): ParsedGpus {
  const gpus: Gpu[] = [];
  const rejected: string[] = [];
  for (const raw of stdout.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line) continue;
    const cells = line.split(',').map((c) => c.trim());
    const index = number(cells[0]);
    if (cells.length !== QUERY_FIELDS.length || index === null || !Number.isInteger(index)) {
      rejected.push(line);
      continue;
    }
    const [, uuid, busId, name, driver, total, used, free, util, temp, draw, limit, mig] = cells;
    const migText = text(mig)?.toLowerCase();
    const uuidText = text(uuid);
    const busText = text(busId);
    const mem = (v: string | undefined) => {
      const n = number(v);
      return n === null ? null : n * MiB;
    };
    gpus.push({
      key: uuidText ?? (busText ? `pci:${busText}` : `index:${index}`),
      index,
      uuid: uuidText,
      busId: busText,
      name: text(name) ?? 'NVIDIA GPU (name unknown)',
      vendor: 'nvidia',
      driverVersion: text(driver),
      memoryTotalBytes: mem(total),
      memoryUsedBytes: mem(used),
      memoryFreeBytes: mem(free),
      utilizationPct: number(util),
      temperatureC: number(temp),
      powerDrawW: number(draw),
      powerLimitW: number(limit),
      migMode: migText === 'enabled' ? 'enabled' : migText === 'disabled' ? 'disabled' : null,
      unifiedMemory: false,
      source: 'nvidia-smi',
    });
  }
  return { gpus, rejected };
}

/**
 * nvidia-smi's documented return codes (nvidia-smi(1), "RETURN VALUE"), in plain words with
 * what to do. Unlisted codes fall back to the tool's own stderr.
 */
const EXIT_CODES: Record<number, string> = {
  2: 'nvidia-smi rejected the query (invalid argument): the driver is probably too old for these fields; update the NVIDIA driver',
  3: 'the requested operation is not available on this GPU',
  4: 'insufficient permissions to query the GPU: run as a user in the video/render group or check the container runtime',
  6: 'the query was unsuccessful: the GPU may be in a bad state; reboot, or check `dmesg` for Xid errors',
  8: "a GPU's external power cables are not attached: power the machine off and connect them",
  9: 'the NVIDIA driver is not loaded: install or reload it (e.g. `sudo modprobe nvidia`, or reboot after installing)',
  10: 'the NVIDIA kernel module detected an interrupt problem with a GPU: reboot; if it persists, reseat the card',
  12: 'the NVML library (libnvidia-ml) could not be found or loaded: reinstall the NVIDIA driver (in WSL, update the Windows driver)',
  13: 'the installed NVML does not implement this query: update the NVIDIA driver',
  14: "a GPU's infoROM is corrupted: contact the vendor; training on it is not advised",
  15: 'a GPU has fallen off the bus or become inaccessible: reboot; if it repeats, check power, cooling and the PCIe slot',
  255: 'nvidia-smi hit an internal driver error: check `dmesg`, then reinstall the driver or reboot',
};

export function explainExitCode(code: number, stderr: string): string {
  const known = EXIT_CODES[code];
  const said = stderr.trim().split(/\r?\n/).filter(Boolean).slice(-2).join(' / ');
  if (/version mismatch/i.test(said)) {
    return `driver/library version mismatch (${said}): the driver was updated without a reboot; reboot the machine`;
  }
  if (known) return said ? `${known} (nvidia-smi said: ${said})` : known;
  return `nvidia-smi exited with code ${code}${said ? `: ${said}` : ''}`;
}
