// What the machine has: GPUs (nvidia-smi, systeminformation fallback), host CPU/RAM/disk/OS, and
// what the trainer's own Python environment sees (`python -m tunedesk doctor --json`). Each GPU
// source reports ok / absent / error / timeout with its reason, so one failing source never
// hides the rest of the report.
import { z } from 'zod';
import { call } from './define';

/** One GPU. Unknown readings are null, never 0 ([N/A], [Not Supported], a failed query). */
export const gpuSchema = z.object({
  /** Stable key: the uuid when known (indices can change between boots), else bus id, else index. */
  key: z.string(),
  index: z.number().int().nullable(),
  uuid: z.string().nullable(),
  busId: z.string().nullable(),
  name: z.string(),
  vendor: z.enum(['nvidia', 'amd', 'intel', 'apple', 'other']),
  driverVersion: z.string().nullable(),
  memoryTotalBytes: z.number().nullable(),
  memoryUsedBytes: z.number().nullable(),
  memoryFreeBytes: z.number().nullable(),
  utilizationPct: z.number().nullable(),
  temperatureC: z.number().nullable(),
  powerDrawW: z.number().nullable(),
  powerLimitW: z.number().nullable(),
  /** 'enabled' when the GPU is split into MIG instances; null when unknown or not applicable. */
  migMode: z.enum(['enabled', 'disabled']).nullable(),
  /** Apple Silicon and other integrated GPUs share host RAM. */
  unifiedMemory: z.boolean(),
  source: z.enum(['nvidia-smi', 'systeminformation']),
});
export type Gpu = z.infer<typeof gpuSchema>;

/** How one source of GPU information fared. */
export const gpuSourceSchema = z.object({
  name: z.enum(['nvidia-smi', 'systeminformation']),
  status: z.enum(['ok', 'absent', 'error', 'timeout', 'skipped']),
  /** Plain words: what happened and, for failures, what to do. */
  detail: z.string(),
  path: z.string().nullable(),
  exitCode: z.number().int().nullable(),
  elapsedMs: z.number(),
});
export type GpuSource = z.infer<typeof gpuSourceSchema>;

export const hostSchema = z.object({
  cpu: z.object({ brand: z.string(), physicalCores: z.number().int(), logicalCores: z.number().int() }).nullable(),
  memory: z.object({ totalBytes: z.number(), availableBytes: z.number() }).nullable(),
  /** The filesystem holding the runs folder (checkpoints land there). */
  disk: z.object({ path: z.string(), mount: z.string(), totalBytes: z.number(), freeBytes: z.number() }).nullable(),
  os: z.object({ platform: z.string(), distro: z.string(), release: z.string(), arch: z.string() }).nullable(),
  problems: z.array(z.string()),
});
export type HostInfo = z.infer<typeof hostSchema>;

/** What the trainer's Python sees, from `python -m tunedesk doctor --json` (fields may be missing). */
export const trainerEnvSchema = z.object({
  status: z.enum(['ok', 'missing', 'error', 'timeout', 'skipped']),
  detail: z.string(),
  python: z.string().nullable(),
  pythonVersion: z.string().nullable(),
  torchVersion: z.string().nullable(),
  /** CUDA version torch was built with; null for a CPU build. */
  torchCuda: z.string().nullable(),
  cudaAvailable: z.boolean().nullable(),
  mpsAvailable: z.boolean().nullable(),
  devices: z.array(z.object({ index: z.number().int(), name: z.string(), totalMemoryBytes: z.number().nullable() })),
  /** Engines the trainer can run: torch always, deepspeed when it imports and CUDA works. */
  engines: z.record(z.string(), z.object({ available: z.boolean(), detail: z.string() })),
  packages: z.record(z.string(), z.string()),
});
export type TrainerEnv = z.infer<typeof trainerEnvSchema>;

export const hardwareReportSchema = z.object({
  gpus: z.array(gpuSchema),
  sources: z.array(gpuSourceSchema),
  host: hostSchema,
  trainer: trainerEnvSchema,
  /** Where the hardware and the trainer disagree ("GPU found, but torch is a CPU build ..."). */
  disagreements: z.array(z.string()),
  generatedAt: z.number(),
});
export type HardwareReport = z.infer<typeof hardwareReportSchema>;

export const hardwareCalls = {
  /** The whole machine report; every source bounded by its timeout. */
  'hardware.report': call(
    'Detect GPUs (nvidia-smi with a timeout, systeminformation for other vendors), host CPU, RAM, ' +
      "disk and OS, and what the trainer's Python environment can use; disagreements are spelled out.",
    z.strictObject({ skipTrainer: z.boolean().optional() }),
    hardwareReportSchema,
  ),
};
