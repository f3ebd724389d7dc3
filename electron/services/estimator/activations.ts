// Activation and logits memory of one micro-batch. Source: Korthikanti et al. 2022, "Reducing
// Activation Recomputation in Large Transformer Models", sec. 4.1: per layer, in fp16,
// s·b·h·(34 + 5·a·s/h) bytes = attention 11sbh + 5as²b, MLP 19sbh, two LayerNorms 4sbh; with
// full recomputation only the layer input, 2sbh, is kept per layer. Generalised below for
// grouped-query attention, gated (SwiGLU) MLPs, fused attention and the fp32 softmax ChatGLM uses.
import type { ModelArch } from '../../shared/contract/models';
import { PLAIN_HEAD_FAMILIES } from '../../shared/trainer-flags';

/**
 * Bytes kept per attention score element (a·s² per sample) by an eager attention that upcasts to
 * fp32 for the softmax: the fp32 softmax output (4, needed by its backward) and the fp16 copy the
 * value matmul saves (2). Korthikanti's fp16 softmax with dropout keeps 5.
 */
export const EAGER_SAVED_BYTES_PER_SCORE = 6;
/**
 * Scores that exist only while one layer runs (forward or its backward): fp16 scores, fp32
 * upcast, scaled/masked fp32 copy and the fp32 softmax gradient (2 + 4 + 4 + 4). Pinned together
 * with EAGER_SAVED_BYTES_PER_SCORE by the ChatGLM LoRA rows without gradient checkpointing.
 */
export const EAGER_TRANSIENT_BYTES_PER_SCORE = 14;
/** LoRA's dropout before the adapter (original scripts: lora_dropout 0.1): output 2 bytes + mask 1 per input feature. */
export const LORA_DROPOUT_BYTES_PER_INPUT = 3;
/**
 * Logits bytes per token per vocabulary entry: the logits in the compute dtype (2), their fp32
 * upcast for the loss (4), the log-softmax the cross-entropy keeps (4) and its gradient (4).
 */
export const LOGITS_BYTES_PER_ENTRY = 14;

export interface ActivationInput {
  arch: ModelArch;
  seqLen: number;
  /** Length of the keys: seqLen plus a P-Tuning v2 prefix. */
  keyLen: number;
  microBatch: number;
  fp32: boolean;
  gradientCheckpointing: boolean;
  /** How many layers backward runs through (Freeze: only the trainable ones). */
  backwardLayers: number;
  /** LoRA: in_features of each adapted projection of one layer. */
  loraInputs: number[];
  loraRank: number;
}

/** Bytes one layer keeps for backward, per token, in fp16 (Korthikanti's per-layer count). */
export function layerBytesPerToken(arch: ModelArch, keyLen: number): number {
  const h = arch.hidden;
  const q = arch.heads * arch.headDim;
  const kv = arch.kvHeads * arch.headDim;
  const f = arch.ffn;
  // attention linear parts: QKV input 2h, Q 2q, K 2kv, V 2kv, output-projection input 2q, dropout mask h (11h for MHA)
  const attention = 2 * h + 2 * q + 4 * kv + 2 * q + h;
  // plain MLP: input 2h, activation input 2f, activation output 2f, dropout mask h (19h for f = 4h)
  // gated MLP: input 2h, gate 2f, up 2f, activation 2f, product 2f
  const mlp = arch.mlp === 'plain' ? 3 * h + 4 * f : 2 * h + 8 * f;
  const norms = 4 * h;
  // Fused SDPA (flash / memory-efficient, Dao et al. 2022) keeps only O(s) softmax statistics.
  // K and V at their own (grouped) size and no mask: on packed rows the trainer attends one sample
  // at a time (python-runtime/tunedesk/packed_attention.py), where a block-diagonal mask would keep
  // b·s² more per layer and keys repeated to every query head.
  const scores = arch.attention === 'eager-fp32-softmax' ? EAGER_SAVED_BYTES_PER_SCORE * arch.heads * keyLen : 0;
  return attention + mlp + norms + scores;
}

export function activationBytes(input: ActivationInput): number {
  const { arch, seqLen, keyLen, microBatch, backwardLayers } = input;
  const tokens = seqLen * microBatch;
  const scale = input.fp32 ? 2 : 1;
  const lora = input.loraInputs.reduce((sum, i) => sum + LORA_DROPOUT_BYTES_PER_INPUT * i + 2 * input.loraRank, 0);
  const oneLayer = (layerBytesPerToken(arch, keyLen) + lora) * tokens;
  const transient =
    arch.attention === 'eager-fp32-softmax' ? EAGER_TRANSIENT_BYTES_PER_SCORE * arch.heads * seqLen * keyLen * microBatch : 0;
  if (backwardLayers === 0) return 0;
  if (input.gradientCheckpointing) {
    // Full recomputation: every layer keeps its input (2sbh); one layer at a time is rebuilt.
    return scale * (backwardLayers * 2 * arch.hidden * tokens + oneLayer + transient);
  }
  return scale * (backwardLayers * oneLayer + transient);
}

/**
 * Logits per chunk of the chunked loss (CHUNK_ELEMENTS in python-runtime/tunedesk/loss.py): the
 * chunk's fp32 logits, turned into their gradient in place, plus the compute-dtype matmul output.
 */
export const CHUNK_LOGIT_ELEMENTS = 1 << 24;
export const CHUNK_BYTES_PER_ELEMENT = 4 + 2;

export interface LogitsInput {
  arch: ModelArch;
  seqLen: number;
  microBatch: number;
  fp32: boolean;
  /** The chunked LM-head loss runs (no full logits). */
  chunked: boolean;
  /** The head's weight trains (full training): the chunked loss accumulates its fp32 gradient. */
  headTrains: boolean;
}

export function logitsBytes(input: LogitsInput): number {
  const { arch, seqLen, microBatch, fp32 } = input;
  if (!input.chunked) {
    const perEntry = fp32 ? LOGITS_BYTES_PER_ENTRY - 2 : LOGITS_BYTES_PER_ENTRY;
    return perEntry * seqLen * microBatch * arch.vocab;
  }
  // One chunk's logits at a time, never more than the batch's own; the gradient of the hidden
  // states it keeps for backward (the size of the last layer's output); the head's fp32 gradient
  // when it trains.
  const chunk = Math.min(CHUNK_LOGIT_ELEMENTS, seqLen * microBatch * arch.vocab) * CHUNK_BYTES_PER_ELEMENT;
  const hiddenGrad = (fp32 ? 4 : 2) * seqLen * microBatch * arch.hidden;
  return chunk + hiddenGrad + (input.headTrains ? 4 * arch.vocab * arch.hidden : 0);
}

/**
 * Whether the trainer runs the chunked loss for this plan (see loss.chunked_head): a family it
 * covers (resources/trainer-flags.json), not P-Tuning, one process without DeepSpeed. A model whose
 * family is not known is counted with its full logits: the larger figure, never a hopeful one.
 */
export function usesChunkedLoss(arch: ModelArch, modelType: string | null | undefined, methodKind: string, gpus: number, zeroStage: number): boolean {
  const covered = modelType != null && PLAIN_HEAD_FAMILIES.includes(modelType);
  return covered && arch.attention === 'sdpa' && methodKind !== 'ptuning' && gpus === 1 && zeroStage === 0;
}
