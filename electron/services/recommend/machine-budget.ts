// What the recommender measures plans against: the chosen GPUs' free memory (or RAM on CPU and
// Apple unified memory), host RAM, free disk and the engines the trainer can run.
import type { HardwareReport } from '../../shared/contract/hardware';
import { cpuTorchStory, gpusButCpuTorch } from '../hardware/cpu-torch';

export interface MachineBudget {
  device: 'cuda' | 'mps' | 'cpu';
  /** Per-device memory of each chosen GPU (free when known, else total); null when unknown. */
  gpuMemory: Array<{ name: string; bytes: number | null }>;
  hostRamAvailableBytes: number | null;
  freeDiskBytes: number | null;
  deepspeed: boolean;
  /** Why DeepSpeed is not available, for the "needs" column. */
  deepspeedDetail: string;
  trainerReady: boolean;
  /** Set when nvidia-smi shows GPUs the trainer's torch (a CPU build) cannot use: why the budget is the CPU's. */
  cpuTorchStory?: string;
}

/** Metal lets one process use about this share of unified memory (recommendedMaxWorkingSetSize). */
export const UNIFIED_MEMORY_SHARE = 0.7;

export class GpuSelectionError extends Error {}

export function budgetFromReport(report: HardwareReport, gpuIndices?: number[]): MachineBudget {
  const nvidia = report.gpus.filter((g) => g.vendor === 'nvidia' && g.memoryTotalBytes !== null);
  let chosen = nvidia;
  if (gpuIndices && gpuIndices.length > 0 && nvidia.length > 0) {
    const missing = gpuIndices.filter((i) => !nvidia.some((g) => g.index === i));
    if (missing.length) {
      const have = nvidia.map((g) => g.index).join(', ') || 'none';
      throw new GpuSelectionError(`no NVIDIA GPU with index ${missing.join(', ')} (this machine has: ${have})`);
    }
    chosen = nvidia.filter((g) => g.index !== null && gpuIndices.includes(g.index));
  }
  const deepspeedEngine = report.trainer.engines.deepspeed;
  const common = {
    hostRamAvailableBytes: report.host.memory?.availableBytes ?? null,
    freeDiskBytes: report.host.disk?.freeBytes ?? null,
    deepspeed: Boolean(deepspeedEngine?.available),
    deepspeedDetail: deepspeedEngine?.detail || 'DeepSpeed is not installed',
    // 'skipped': the caller chose not to ask; do not nag about set-up it did not check.
    trainerReady: report.trainer.status === 'ok' || report.trainer.status === 'skipped',
  };
  // GPUs the trainer's torch cannot use are no budget: training runs on the CPU, so plans are measured against RAM.
  if (nvidia.length > 0 && gpusButCpuTorch(report.gpus, report.trainer)) {
    return { ...common, deepspeed: false, device: 'cpu', gpuMemory: [], cpuTorchStory: cpuTorchStory(report.gpus, report.trainer) };
  }
  if (chosen.length > 0) {
    return { ...common, device: 'cuda', gpuMemory: chosen.map((g) => ({ name: g.name, bytes: g.memoryFreeBytes ?? g.memoryTotalBytes })) };
  }
  // No nvidia-smi answer (containers often lack it, or it hung) but torch sees CUDA devices:
  // their total memory is the best figure there is.
  const torchGpus = report.trainer.cudaAvailable ? report.trainer.devices : [];
  if (torchGpus.length > 0) {
    const picked = gpuIndices?.length ? torchGpus.filter((d) => gpuIndices.includes(d.index)) : torchGpus;
    if (gpuIndices?.length && picked.length !== gpuIndices.length) {
      throw new GpuSelectionError(`no CUDA device with index ${gpuIndices.join(', ')} (torch sees: ${torchGpus.map((d) => d.index).join(', ')})`);
    }
    return { ...common, device: 'cuda', gpuMemory: picked.map((d) => ({ name: d.name, bytes: d.totalMemoryBytes })) };
  }
  if (gpuIndices?.length) throw new GpuSelectionError(`no GPU with index ${gpuIndices.join(', ')}: this machine has no usable NVIDIA GPU`);
  const apple = report.gpus.find((g) => g.vendor === 'apple');
  const ram = report.host.memory?.totalBytes ?? null;
  if (apple && report.trainer.mpsAvailable !== false) {
    return { ...common, deepspeed: false, device: 'mps', gpuMemory: [{ name: apple.name, bytes: ram === null ? null : ram * UNIFIED_MEMORY_SHARE }] };
  }
  return { ...common, deepspeed: false, device: 'cpu', gpuMemory: [] };
}
