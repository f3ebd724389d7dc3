// Model states per GPU: weights, gradients, optimizer states, and the host RAM that loading and
// offload need. Sources:
// - ZeRO paper (Rajbhandari et al. 2020, sec. 3.1): mixed-precision Adam keeps 16 bytes per
//   trainable parameter: fp16 weights (2) + fp16 gradients (2) + fp32 master weights, momentum
//   and variance (12).
// - DeepSpeed's estimate_zero2_model_states_mem_needs: GPU = 4P + 16P/N without offload (fp16
//   weights and gradients (we split the gradients, see below); fp32 master, m, v and the fp32 gradient partition split N ways),
//   2P with the optimizer offloaded; CPU = P x max(4N, 16) x 1.5 with offload, else P x 4N x 1.5.
// - DeepSpeed's estimate_zero3_model_states_mem_needs: GPU = 4 x largest layer (gathered fp16
//   weights and gradients of one module) + 18P/N (2P/N with the optimizer offloaded, 0 with the
//   parameters offloaded too); CPU with offload = P x 18 x 1.5 under zero.Init, P x max(4N, 18)
//   x 1.5 without; without offload 4 x N x 1.5 x (largest layer under zero.Init, else P).
import type { TrainSettings } from '../../shared/contract/estimator';

/** DeepSpeed's additional_buffer_factor for host memory (pinned buffers, fragmentation). */
export const HOST_BUFFER_FACTOR = 1.5;
/** DeepSpeed's default reduce_bucket_size, in elements: one contiguous gradient bucket on the GPU. */
export const REDUCE_BUCKET_ELEMENTS = 5e8;
/** DeepSpeed's default stage3_max_live_parameters: gathered parameters kept alive at once. */
export const ZERO3_MAX_LIVE_PARAMS = 1e9;

export interface StateInput {
  totalParams: number; // base model + parameters the method added
  trainable: number;
  largestLayerParams: number;
  settings: TrainSettings;
}

export interface ModelStates {
  weights: number;
  gradients: number;
  optimizer: number;
  hostRam: number;
  notes: string[];
}

export function modelStates({ totalParams, trainable, largestLayerParams, settings }: StateInput): ModelStates {
  const n = settings.gpus;
  const frozen = Math.max(totalParams - trainable, 0);
  const notes: string[] = [];
  // Compute dtype: fp16/bf16 weights take 2 bytes, fp32 4. In fp32 there is no master copy.
  const wb = settings.dtype === 'fp32' ? 4 : 2;
  // Optimizer bytes per trainable parameter beyond the weights and gradients in compute dtype:
  // mixed precision: fp32 master + m + v + the fp32 gradient copy the step works on (16); fp32: m + v (8).
  const optBytes = settings.dtype === 'fp32' ? 8 : 16;

  if (settings.zeroStage === 0) {
    // The torch engine on one device: frozen weights in the compute dtype; trainable ones kept
    // in fp32 with fp32 gradients and Adam's m and v (4 + 4 + 8 = the ZeRO paper's 16 bytes).
    return {
      weights: frozen * wb + trainable * 4,
      gradients: trainable * 4,
      optimizer: trainable * 8,
      hostRam: totalParams * wb * HOST_BUFFER_FACTOR,
      notes,
    };
  }

  if (settings.zeroStage === 2) {
    const bucket = Math.min(trainable, REDUCE_BUCKET_ELEMENTS) * wb;
    const offload = settings.offloadOptimizer;
    if (settings.offloadParams) notes.push('ZeRO-2 cannot offload parameters: only the optimizer is offloaded');
    return {
      weights: (frozen + trainable) * wb,
      // ZeRO-2 partitions the fp16 gradients too (the paper's P_os+g); DeepSpeed's estimator
      // keeps them whole as a margin, but the 4-GPU Freeze row measures the partitioned layout.
      // The contiguous reduce bucket is always whole.
      gradients: (trainable * wb) / n + bucket,
      optimizer: offload ? 0 : (trainable * optBytes) / n,
      hostRam: offload
        ? trainable * Math.max(4 * n, 16) * HOST_BUFFER_FACTOR + frozen * 4 * n
        : totalParams * 4 * n * HOST_BUFFER_FACTOR,
      notes,
    };
  }

  // ZeRO-3: everything partitioned N ways; one module's weights and gradients gathered whole
  // (DeepSpeed's largest_layer_memory = 4 x largest layer: 2 for the weights, 2 for the gradients).
  const gathered = 2 * largestLayerParams;
  // stage3_max_live_parameters / max_reuse_distance keep up to 1e9 gathered parameters alive
  // between forward and the recomputation in backward.
  const live = Math.min(totalParams, ZERO3_MAX_LIVE_PARAMS) * wb;
  const bucket = Math.min(trainable, REDUCE_BUCKET_ELEMENTS) * wb;
  // Loading without zero.Init (what the original scripts did): DeepSpeed's engine moves the
  // whole half-precision model to each GPU before partitioning it, and the caching allocator
  // keeps those blocks reserved for the rest of the run. With zero.Init nothing passes through.
  const zeroInit = settings.zeroInit !== false;
  const passThrough = zeroInit ? 0 : totalParams * wb;
  const offParams = settings.offloadParams;
  const offOpt = settings.offloadOptimizer || offParams;
  if (settings.offloadParams && !settings.offloadOptimizer) notes.push('offloading parameters implies offloading the optimizer');
  return {
    weights: (offParams ? 0 : (totalParams * wb) / n) + gathered + live + passThrough,
    gradients: (offOpt ? 0 : (trainable * wb) / n) + gathered + bucket,
    optimizer: offOpt ? 0 : (trainable * optBytes) / n,
    hostRam: offOpt
      ? totalParams * (zeroInit ? 18 : Math.max(4 * n, 18)) * HOST_BUFFER_FACTOR
      : (zeroInit ? largestLayerParams : totalParams) * 4 * n * HOST_BUFFER_FACTOR,
    notes,
  };
}
