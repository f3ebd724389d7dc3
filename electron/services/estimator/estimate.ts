// One plan -> per-GPU peak with its breakdown. Pure arithmetic: a whole method x setting table
// takes well under 5 ms (npm run bench:estimator).
import type { Estimate, MethodSpec, TrainSettings } from '../../shared/contract/estimator';
import type { ModelArch } from '../../shared/contract/models';
import { activationBytes, logitsBytes, usesChunkedLoss } from './activations';
import { modelStates } from './model-states';
import { loraShapes, paramCounts } from './trainable-params';

export const GiB = 1024 ** 3;
/**
 * CUDA context of a training process: driver context, cuBLAS/cuDNN workspaces and the kernels
 * torch and DeepSpeed load (about 1 GiB on CUDA 11/12 without lazy loading).
 */
export const CUDA_CONTEXT_BYTES = 1.0 * GiB;
/**
 * A training process on the CPU (or Apple's unified memory) before its model loads: Python, torch,
 * transformers and the tokenizer imported. Off a GPU it takes the CUDA context's place. Measured
 * 2026-12-07 on Linux x86-64 (torch 2.x CPU, transformers 5): `tunedesk train` on the trainer
 * benchmark's 16 MB model held 337 MiB RSS once the tokenizer loaded and 365 MiB when setup ended
 * (torch alone 220 MiB; transformers pulls in torch.distributed, sympy and dynamo). The trainer's
 * gradient-checkpointing rule counts the same figure (python-runtime/tunedesk/memory_plan.py).
 */
export const CPU_RUNTIME_BYTES = 0.35 * GiB;
/** NCCL communicator buffers each process allocates when there are several GPUs. */
export const NCCL_BYTES = 0.25 * GiB;
/**
 * PyTorch's caching allocator reserves more than it hands out (block rounding, fragmentation
 * between differently sized activations); nvidia-smi shows the reserved amount. Pinned by the
 * ChatGLM LoRA rows without gradient checkpointing (activations of many sizes dominate there).
 */
export const ALLOCATOR_SLACK = 0.15;
/**
 * ZeRO-3 gathers and frees parameters of every size again and again (prefetch, re-gathering
 * during recomputation), which fragments the allocator much more. Pinned by the two ZeRO-3 +
 * CPU offload rows of the calibration table; the least certain constant here.
 */
export const ZERO3_ALLOCATOR_SLACK = 0.3;

export interface EstimatorModel {
  params: number;
  arch: ModelArch;
  /** config.json's model_type: the trainer's fast paths depend on the family (usesChunkedLoss). */
  modelType?: string | null;
}

export function engineFor(settings: TrainSettings): 'torch' | 'deepspeed' {
  return settings.zeroStage > 0 || settings.gpus > 1 || settings.offloadOptimizer || settings.offloadParams ? 'deepspeed' : 'torch';
}

export function estimate(model: EstimatorModel, method: MethodSpec, settings: TrainSettings): Estimate {
  const { arch } = model;
  const chatglmNames = arch.attention === 'eager-fp32-softmax';
  const counts = paramCounts(arch, model.params, method, chatglmNames);
  const totalParams = model.params + counts.added;
  const notes: string[] = [];
  // Several GPUs without ZeRO run as data parallel: treat like ZeRO-2's layout minus the split.
  const effective: TrainSettings = settings.gpus > 1 && settings.zeroStage === 0 ? { ...settings, zeroStage: 2 } : settings;
  if (effective !== settings) notes.push('several GPUs run through DeepSpeed: counted as ZeRO-2');
  const largestLayer = Math.max(arch.embeddingParams, method.kind === 'ptuning' ? counts.added : 0, arch.layerParams / 4);
  const states = modelStates({ totalParams, trainable: counts.trainable, largestLayerParams: largestLayer, settings: effective });
  notes.push(...states.notes);

  const backwardLayers = method.kind === 'freeze' ? Math.min(method.trainableLayers, arch.layers) : arch.layers;
  const keyLen = settings.seqLen + (method.kind === 'ptuning' && method.version === 2 ? method.preSeqLen : 0);
  const loraInputs = method.kind === 'lora' ? loraShapes(arch, method.targets, chatglmNames).map(([i]) => i) : [];
  const fp32 = settings.dtype === 'fp32';
  const activations = activationBytes({
    arch,
    seqLen: settings.seqLen,
    keyLen,
    microBatch: settings.microBatch,
    fp32,
    gradientCheckpointing: settings.gradientCheckpointing,
    backwardLayers,
    loraInputs,
    loraRank: method.kind === 'lora' ? method.rank : 0,
  });
  const chunked = settings.chunkedLoss ?? usesChunkedLoss(arch, model.modelType, method.kind, settings.gpus, effective.zeroStage);
  const logits = logitsBytes({ arch, seqLen: settings.seqLen, microBatch: settings.microBatch, fp32, chunked, headTrains: method.kind === 'full' });
  const allocated = states.weights + states.gradients + states.optimizer + activations + logits;
  const overhead = CUDA_CONTEXT_BYTES + (settings.gpus > 1 ? NCCL_BYTES : 0) + (effective.zeroStage === 3 ? ZERO3_ALLOCATOR_SLACK : ALLOCATOR_SLACK) * allocated;
  const breakdown = { weights: states.weights, gradients: states.gradients, optimizer: states.optimizer, activations, logits, overhead };
  const perGpuBytes = Object.values(breakdown).reduce((a, b) => a + b, 0);
  return {
    perGpuBytes,
    breakdown,
    hostRamBytes: states.hostRam,
    trainableParams: counts.trainable,
    totalParams,
    engine: engineFor(effective),
    notes,
  };
}
