// Estimator behaviour beyond the calibration rows: each knob moves memory the way its formula
// says, offload moves bytes to host RAM, and the whole table is instant.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MethodSpec, TrainSettings } from '../../electron/shared/contract/estimator';
import { estimate, GiB } from '../../electron/services/estimator/estimate';
import { CHUNK_BYTES_PER_ELEMENT, CHUNK_LOGIT_ELEMENTS, logitsBytes, usesChunkedLoss } from '../../electron/services/estimator/activations';
import { estimateTable } from '../../electron/services/estimator/plans';
import { prefixEncoderParams } from '../../electron/services/estimator/trainable-params';
import { archFromConfig } from '../../electron/services/models/config-arch';
import { PLAIN_HEAD_FAMILIES } from '../../electron/shared/trainer-flags';
import { CHATGLM2_6B_CONFIG } from '../helpers/estimator-calibration-rows';

// Qwen2.5-7B-like config: GQA 28/4 heads, SwiGLU, untied embeddings.
const qwen = archFromConfig(
  { model_type: 'qwen2', hidden_size: 3584, intermediate_size: 18944, num_hidden_layers: 28, num_attention_heads: 28, num_key_value_heads: 4, vocab_size: 152064, tie_word_embeddings: false, max_position_embeddings: 32768 },
  'qwen/config.json',
);
const glm2 = archFromConfig(CHATGLM2_6B_CONFIG, 'glm2/config.json');
const base: TrainSettings = { dtype: 'bf16', microBatch: 1, seqLen: 1024, gradientCheckpointing: true, gpus: 1, zeroStage: 0, offloadOptimizer: false, offloadParams: false };
const lora: MethodSpec = { kind: 'lora', rank: 16, targets: ['q_proj', 'v_proj'] };

describe('estimator', () => {
  it('counts Qwen2.5-7B at its published 7.6B parameters from the config alone', () => {
    expect(qwen.params / 1e9).toBeCloseTo(7.62, 1);
  });

  it('full training on the torch engine costs the ZeRO paper 16 bytes per parameter in model states', () => {
    const e = estimate(qwen, { kind: 'full' }, base);
    const states = e.breakdown.weights + e.breakdown.gradients + e.breakdown.optimizer;
    expect(states / qwen.params).toBeCloseTo(16, 5);
  });

  it('ZeRO-2 splits optimizer states across GPUs, ZeRO-3 offload moves them to host RAM', () => {
    const one = estimate(qwen, { kind: 'full' }, { ...base, zeroStage: 2 });
    const four = estimate(qwen, { kind: 'full' }, { ...base, zeroStage: 2, gpus: 4 });
    expect(four.breakdown.optimizer).toBeCloseTo(one.breakdown.optimizer / 4, 0);
    const offload = estimate(qwen, { kind: 'full' }, { ...base, zeroStage: 3, gpus: 4, offloadOptimizer: true, offloadParams: true });
    expect(offload.breakdown.optimizer).toBe(0);
    // DeepSpeed's estimator: P x 18 x 1.5 bytes of host RAM with zero.Init; P x max(4N, 18) x 1.5 without
    expect(offload.hostRamBytes).toBeCloseTo(qwen.params * 18 * 1.5, -3);
    expect(offload.engine).toBe('deepspeed');
    const eightGpus = { ...base, zeroStage: 3, gpus: 8, offloadOptimizer: true, offloadParams: true } as const;
    expect(estimate(qwen, { kind: 'full' }, { ...eightGpus, zeroInit: false }).hostRamBytes).toBeCloseTo(qwen.params * 32 * 1.5, -3);
  });

  it('without zero.Init the whole half-precision model passes through each GPU under ZeRO-3', () => {
    const settings = { ...base, zeroStage: 3, gpus: 4, offloadOptimizer: true, offloadParams: true } as const;
    const withInit = estimate(qwen, { kind: 'full' }, settings);
    const without = estimate(qwen, { kind: 'full' }, { ...settings, zeroInit: false });
    expect(without.breakdown.weights - withInit.breakdown.weights).toBeCloseTo(qwen.params * 2, -3);
  });

  it('activations grow linearly with micro-batch and sequence with checkpointing, and shrink a lot with it', () => {
    const a1 = estimate(qwen, lora, base).breakdown.activations;
    const a2 = estimate(qwen, lora, { ...base, microBatch: 2 }).breakdown.activations;
    const s2 = estimate(qwen, lora, { ...base, seqLen: 2048 }).breakdown.activations;
    expect(a2 / a1).toBeCloseTo(2, 5);
    expect(s2 / a1).toBeCloseTo(2, 5); // SDPA attention: no s^2 term
    const off = estimate(qwen, lora, { ...base, gradientCheckpointing: false }).breakdown.activations;
    expect(off / a1).toBeGreaterThan(5);
  });

  it('eager attention (ChatGLM) grows quadratically with sequence length', () => {
    const noCkpt = { ...base, gradientCheckpointing: false };
    const short = estimate(glm2, { kind: 'lora', rank: 8, targets: ['query_key_value'] }, { ...noCkpt, seqLen: 1024 }).breakdown.activations;
    const long = estimate(glm2, { kind: 'lora', rank: 8, targets: ['query_key_value'] }, { ...noCkpt, seqLen: 4096 }).breakdown.activations;
    expect(long / short).toBeGreaterThan(6); // more than the 4x of a linear term
  });

  it('Freeze backpropagates through the trainable layers only', () => {
    const f2 = estimate(qwen, { kind: 'freeze', trainableLayers: 2 }, { ...base, gradientCheckpointing: false });
    const f8 = estimate(qwen, { kind: 'freeze', trainableLayers: 8 }, { ...base, gradientCheckpointing: false });
    expect(f8.trainableParams).toBe(4 * f2.trainableParams);
    expect(f8.breakdown.activations).toBeGreaterThan(3.5 * f2.breakdown.activations);
  });

  it('P-Tuning v2 with projection is an MLP from hidden to 2 x layers x kv width', () => {
    // ChatGLM2: kv width = 2 groups x 128 = 256; 2 x 28 x 256 = 14336 outputs.
    expect(prefixEncoderParams(glm2.arch, 16, true)).toBe(16 * 4096 + 4096 * 4096 + 4096 + 4096 * 14336 + 14336);
    expect(prefixEncoderParams(glm2.arch, 16, false)).toBe(16 * 14336);
    const withProj = estimate(glm2, { kind: 'ptuning', version: 2, preSeqLen: 16, projection: true }, base);
    const v1 = estimate(glm2, { kind: 'ptuning', version: 1, preSeqLen: 16, projection: false }, base);
    expect(withProj.trainableParams).toBeGreaterThan(1000 * v1.trainableParams);
  });

  it('LoRA trains rank x (in + out) per adapted projection', () => {
    const e = estimate(qwen, lora, base);
    // q_proj 3584->3584 and v_proj 3584->512 in each of 28 layers
    expect(e.trainableParams).toBe(28 * 16 * (3584 + 3584 + 3584 + 512));
  });

  it('fp32 doubles activations and weights relative to bf16', () => {
    const half = estimate(qwen, lora, base);
    const full = estimate(qwen, lora, { ...base, dtype: 'fp32' });
    expect(full.breakdown.activations / half.breakdown.activations).toBeCloseTo(2, 5);
    expect(full.breakdown.weights / half.breakdown.weights).toBeGreaterThan(1.9);
  });

  it('the breakdown adds up to the per-GPU peak', () => {
    const e = estimate(glm2, { kind: 'full' }, { ...base, zeroStage: 3, gpus: 2 });
    const sum = Object.values(e.breakdown).reduce((a, b) => a + b, 0);
    expect(sum).toBeCloseTo(e.perGpuBytes, 0);
    expect(e.perGpuBytes / GiB).toBeGreaterThan(5);
  });

  it('computes the whole method x setting table in well under 5 ms', () => {
    const grid = [1, 2, 4].flatMap((gpus) => [512, 2048, 8192].map((seqLen) => ({ dtype: 'bf16' as const, microBatch: 2, seqLen, gpus })));
    estimateTable(qwen, grid[0]!); // warm-up (JIT)
    const started = performance.now();
    let rows = 0;
    for (let i = 0; i < 10; i++) for (const input of grid) rows += estimateTable(qwen, input).length;
    const perTable = (performance.now() - started) / (10 * grid.length);
    expect(rows).toBe(10 * 3 * (10 + 9 + 9)); // 10 plans on one GPU; 9 on several (plain full = ZeRO-2)
    expect(perTable).toBeLessThan(5);
  });
});

describe('logits term: the chunked LM-head loss', () => {
  const qwen = { layers: 24, hidden: 896, heads: 14, kvHeads: 2, headDim: 64, ffn: 4864, vocab: 151936, mlp: 'gated', attention: 'sdpa', tiedEmbeddings: true, layerParams: 14_912_384, embeddingParams: 136_134_656, maxPositions: 32768 } as const;
  const base = { arch: qwen, seqLen: 2048, microBatch: 8, fp32: false, headTrains: false };

  it('full logits grow with batch x length x vocabulary; chunked ones do not', () => {
    const full = logitsBytes({ ...base, chunked: false });
    expect(full).toBe(14 * 2048 * 8 * 151936); // 34.8 GB at 8 x 2048 tokens
    const chunked = logitsBytes({ ...base, chunked: true });
    expect(chunked).toBe(CHUNK_LOGIT_ELEMENTS * CHUNK_BYTES_PER_ELEMENT + 2 * 2048 * 8 * 896);
    expect(chunked / full).toBeLessThan(0.01);
    // twice the tokens: the full term doubles, the chunked one grows by the hidden-state gradient only
    const longer = logitsBytes({ ...base, seqLen: 4096, chunked: true });
    expect(longer - chunked).toBe(2 * 2048 * 8 * 896);
  });

  it('full training adds the head gradient the chunked loss accumulates', () => {
    expect(logitsBytes({ ...base, chunked: true, headTrains: true }) - logitsBytes({ ...base, chunked: true })).toBe(4 * 151936 * 896);
  });

  it('is chosen where the trainer runs it: a family it covers, one device, fused attention, not P-Tuning', () => {
    expect(usesChunkedLoss(qwen, 'qwen2', 'lora', 1, 0)).toBe(true);
    expect(usesChunkedLoss(qwen, 'qwen2', 'ptuning', 1, 0)).toBe(false);
    expect(usesChunkedLoss(qwen, 'qwen2', 'lora', 2, 2)).toBe(false);
    expect(usesChunkedLoss({ ...qwen, attention: 'eager-fp32-softmax' }, 'qwen2', 'lora', 1, 0)).toBe(false);
    // a fused-attention family the trainer runs with its own loss (gemma: a scaled, capped head),
    // or an unknown family: the full logits are counted
    expect(usesChunkedLoss(qwen, 'gemma2', 'lora', 1, 0)).toBe(false);
    expect(usesChunkedLoss(qwen, null, 'lora', 1, 0)).toBe(false);
    expect(usesChunkedLoss(qwen, undefined, 'lora', 1, 0)).toBe(false);
  });

  it("follows the trainer's own list of families (resources/trainer-flags.json)", () => {
    const python = readFileSync(join(process.cwd(), 'python-runtime/tunedesk/families.py'), 'utf8');
    const listed = /PLAIN_HEAD_FAMILIES = frozenset\(\{([^}]*)\}\)/.exec(python)![1]!.match(/"([^"]+)"/g)!.map((q) => q.slice(1, -1));
    expect([...PLAIN_HEAD_FAMILIES].sort()).toEqual(listed.sort());
    for (const family of PLAIN_HEAD_FAMILIES) expect(usesChunkedLoss(qwen, family, 'full', 1, 0)).toBe(true);
  });
});
