// One story for "nvidia-smi shows GPUs, but the trainer's torch is a CPU build": training runs on
// the CPU, the memory budgets are the CPU's (system RAM), and this is how to get a CUDA build.
// The recommender, the time estimate and the hardware report all say it with these words.
import type { Gpu, TrainerEnv } from '../../shared/contract/hardware';

/** The trainer answered and its torch has no CUDA at all (a "+cpu" wheel), while NVIDIA GPUs are present. */
export function gpusButCpuTorch(gpus: Gpu[], trainer: TrainerEnv): boolean {
  return trainer.status === 'ok' && Boolean(trainer.torchVersion) && !trainer.torchCuda && gpus.some((g) => g.vendor === 'nvidia');
}

/** How to put a CUDA build of the pinned torch into the trainer's environment. */
export function cudaTorchHint(torchVersion: string | null): string {
  const pin = (torchVersion ?? '').split('+')[0];
  return (
    'to train on the GPU, install a CUDA build of torch into the trainer environment: ' +
    `python-runtime/.venv/bin/python -m pip install --force-reinstall torch${pin ? `==${pin}` : ''} --index-url https://download.pytorch.org/whl/cu128 ` +
    '(pick the CUDA version your driver supports), then restart TuneDesk'
  );
}

/** The sentence every screen shows for this case. */
export function cpuTorchStory(gpus: Gpu[], trainer: TrainerEnv): string {
  const n = gpus.filter((g) => g.vendor === 'nvidia').length;
  return (
    `${n} NVIDIA GPU${n === 1 ? '' : 's'} found, but the trainer's torch (${trainer.torchVersion}) is a CPU build: ` +
    `training runs on the CPU and the memory budgets are the CPU's (system RAM); ${cudaTorchHint(trainer.torchVersion)}`
  );
}
