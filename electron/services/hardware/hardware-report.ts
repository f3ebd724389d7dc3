// The whole machine report. Sources run in parallel and each is bounded by its own timeout, so
// a missing, failing or hung nvidia-smi (or trainer) never holds up the rest.
import type { Gpu, GpuSource, HardwareReport, TrainerEnv } from '../../shared/contract/hardware';
import { cachedTrainerDoctor } from '../python-env/doctor-cache';
import { resolveRunsRoot } from '../settings/runs-root';
import { findDisagreements } from './disagreements';
import { queryGraphicsFallback } from './graphics-fallback';
import { hostInfo } from './host-info';
import { queryNvidiaSmi, type NvidiaOptions } from './nvidia-smi';

export interface ReportOptions {
  nvidia?: NvidiaOptions;
  /** Skip the trainer's doctor (it starts Python: seconds, not milliseconds). */
  skipTrainer?: boolean;
  /** Skip the systeminformation graphics fallback (tests; machines known to be NVIDIA-only). */
  skipFallback?: boolean;
  diskPath?: string;
  /** Ask the trainer's Python again instead of using a recent answer for the same environment. */
  freshTrainer?: boolean;
  trainer?: () => Promise<TrainerEnv>;
}

const skippedTrainer: TrainerEnv = {
  status: 'skipped', detail: 'not checked (skipped)', python: null, pythonVersion: null, torchVersion: null, torchCuda: null,
  cudaAvailable: null, mpsAvailable: null, devices: [], engines: {}, packages: {},
};

export async function hardwareReport(options: ReportOptions = {}): Promise<HardwareReport> {
  const diskPath = options.diskPath ?? resolveRunsRoot().path;
  const trainerPromise = options.skipTrainer ? Promise.resolve(skippedTrainer) : (options.trainer ?? (() => cachedTrainerDoctor({ fresh: options.freshTrainer })))();
  const hostPromise = hostInfo(diskPath);
  const nvidia = await queryNvidiaSmi(options.nvidia);
  const sources: GpuSource[] = [nvidia.source];
  let gpus: Gpu[] = nvidia.gpus;
  if (gpus.length === 0 && !options.skipFallback) {
    const fallback = await queryGraphicsFallback();
    // NVIDIA controllers seen only through lspci add nothing without their memory; keep the rest.
    gpus = fallback.gpus.filter((g) => g.vendor !== 'nvidia' || g.memoryTotalBytes !== null);
    sources.push(fallback.source);
  } else {
    sources.push({ name: 'systeminformation', status: 'skipped', detail: nvidia.gpus.length ? 'nvidia-smi answered' : 'not asked', path: null, exitCode: null, elapsedMs: 0 });
  }
  const [host, trainer] = await Promise.all([hostPromise, trainerPromise]);
  return { gpus, sources, host, trainer, disagreements: findDisagreements(gpus, trainer), generatedAt: Date.now() / 1000 };
}
