// The memory estimator: per-GPU peak memory and host RAM of one training plan, with a breakdown
// the UI can show and defend. Pure and instant (the UI recomputes it on every slider move).
import { z } from 'zod';
import { call } from './define';
import { modelArchSchema } from './models';

/** A tuning method with the knobs that change its memory. */
export const methodSpecSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('freeze'), trainableLayers: z.number().int().min(1) }),
  z.strictObject({
    kind: z.literal('ptuning'),
    version: z.union([z.literal(1), z.literal(2)]),
    preSeqLen: z.number().int().min(1).max(4096),
    projection: z.boolean(),
  }),
  z.strictObject({
    kind: z.literal('lora'),
    rank: z.number().int().min(1).max(4096),
    /** Module names as peft takes them (query_key_value, q_proj, ...); 'all-linear' for every projection. */
    targets: z.array(z.string().min(1)).min(1),
  }),
  z.strictObject({ kind: z.literal('full') }),
]);
export type MethodSpec = z.infer<typeof methodSpecSchema>;

/** How the run is laid out: precision, batch, sequence, recomputation, GPUs and ZeRO. */
export const trainSettingsSchema = z.strictObject({
  dtype: z.enum(['fp16', 'bf16', 'fp32']),
  microBatch: z.number().int().min(1).max(4096),
  seqLen: z.number().int().min(1).max(1_048_576),
  gradientCheckpointing: z.boolean(),
  gpus: z.number().int().min(1).max(1024),
  /** 0: no ZeRO (one GPU: the torch engine); 2 and 3: DeepSpeed ZeRO stages. */
  zeroStage: z.union([z.literal(0), z.literal(2), z.literal(3)]),
  offloadOptimizer: z.boolean(),
  offloadParams: z.boolean(),
  /**
   * ZeRO-3 only: the model is created inside deepspeed.zero.Init (TuneDesk's trainer, via
   * HfDeepSpeedConfig), so no full copy ever lands on a GPU. Default true; the original ChatGLM
   * scripts loaded first and partitioned afterwards (false).
   */
  zeroInit: z.boolean().optional(),
  /**
   * The trainer's chunked LM-head loss (python-runtime/tunedesk/loss.py): no batch x length x vocab
   * logits. Default: on where the trainer uses it (one device, fused-attention families, not
   * P-Tuning); false reproduces the older full-logits trainer (the calibration measurements).
   */
  chunkedLoss: z.boolean().optional(),
});
export type TrainSettings = z.infer<typeof trainSettingsSchema>;

/** Bytes per GPU, by what holds them. */
export const memoryBreakdownSchema = z.object({
  weights: z.number(),
  gradients: z.number(),
  optimizer: z.number(),
  activations: z.number(),
  logits: z.number(),
  /** CUDA context, DeepSpeed communication buckets, allocator slack. */
  overhead: z.number(),
});
export type MemoryBreakdown = z.infer<typeof memoryBreakdownSchema>;

export const estimateSchema = z.object({
  perGpuBytes: z.number(),
  breakdown: memoryBreakdownSchema,
  /** Host RAM the plan needs at its peak (model loading, offloaded optimizer/parameters). */
  hostRamBytes: z.number(),
  trainableParams: z.number(),
  totalParams: z.number(),
  /** 'torch' (one device) or 'deepspeed' (ZeRO, several GPUs, offload). */
  engine: z.enum(['torch', 'deepspeed']),
  notes: z.array(z.string()),
});
export type Estimate = z.infer<typeof estimateSchema>;

export const estimatorModelSchema = z.object({
  params: z.number().int().positive(),
  arch: modelArchSchema,
  /** config.json's model_type; without it the logits are counted whole (the chunked loss runs on known families only). */
  modelType: z.string().nullable().optional(),
});

export const estimatorCalls = {
  /** Estimate one plan: per-GPU peak with its breakdown and the host RAM it needs. */
  'estimator.estimate': call(
    'Estimate the per-GPU peak memory (weights, gradients, optimizer states, activations, logits, ' +
      'overhead) and host RAM of training a model with one method and setting.',
    z.strictObject({ model: estimatorModelSchema, method: methodSpecSchema, settings: trainSettingsSchema }),
    estimateSchema,
  ),
};
