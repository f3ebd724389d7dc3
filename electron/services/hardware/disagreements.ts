// Where what the hardware reports and what the trainer's torch can use disagree, in plain words.
import type { Gpu, TrainerEnv } from '../../shared/contract/hardware';
import { cpuTorchStory, gpusButCpuTorch } from './cpu-torch';

export function findDisagreements(gpus: Gpu[], trainer: TrainerEnv): string[] {
  const out: string[] = [];
  const nvidia = gpus.filter((g) => g.vendor === 'nvidia');
  const apple = gpus.some((g) => g.vendor === 'apple');
  if (nvidia.some((g) => g.migMode === 'enabled')) {
    out.push('MIG is enabled on a GPU: torch sees MIG instances with a slice of the memory each, not the whole card');
  }
  if (trainer.status === 'skipped') return out;
  if (trainer.status !== 'ok') {
    if (nvidia.length > 0) out.push(`${nvidia.length} NVIDIA GPU(s) found, but the trainer environment is not usable yet (${trainer.detail})`);
    return out;
  }
  if (nvidia.length > 0) {
    if (gpusButCpuTorch(gpus, trainer)) {
      out.push(cpuTorchStory(gpus, trainer));
    } else if (trainer.cudaAvailable === false) {
      const driver = nvidia[0]?.driverVersion ? ` (driver ${nvidia[0].driverVersion})` : '';
      out.push(`torch is built for CUDA ${trainer.torchCuda} but cannot use the GPU${driver}: the driver is probably older than that CUDA needs; update the NVIDIA driver`);
    } else if (trainer.devices.length > 0 && trainer.devices.length < nvidia.length) {
      out.push(`nvidia-smi sees ${nvidia.length} GPUs but torch sees ${trainer.devices.length}: check CUDA_VISIBLE_DEVICES`);
    }
    const deepspeed = trainer.engines.deepspeed;
    if (nvidia.length > 1 && deepspeed && !deepspeed.available) {
      out.push(`${nvidia.length} GPUs found, but DeepSpeed is not available: training uses one GPU; install DeepSpeed to use all of them and unlock ZeRO-2/3`);
    }
  } else if (trainer.cudaAvailable === true && trainer.devices.length > 0) {
    out.push(`torch sees ${trainer.devices.length} CUDA device(s) that nvidia-smi did not report (nvidia-smi missing, failing or hung); memory figures come from torch alone`);
  }
  if (apple && trainer.mpsAvailable === false) {
    out.push('Apple GPU found, but torch cannot use MPS: training would run on the CPU; update macOS or torch');
  }
  return out;
}
