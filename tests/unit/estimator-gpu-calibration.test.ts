// The estimator against the trainer's own measurements on a real GPU
// (resources/calibration/*.json, produced by python-runtime/bench/gpu_calibration.py).
// The published ChatGLM table checks the DeepSpeed side; this checks the torch engine that
// single-GPU users run. torch's reserved peak excludes the CUDA context, so the context the
// estimator adds is taken out before comparing.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MethodSpec, TrainSettings } from '../../electron/shared/contract/estimator';
import { CUDA_CONTEXT_BYTES, GiB, estimate } from '../../electron/services/estimator/estimate';
import { archFromConfig } from '../../electron/services/models/config-arch';

interface Measurement {
  method: 'lora' | 'freeze' | 'ptuning' | 'all';
  seq_len: number;
  gradient_checkpointing: boolean;
  status: string;
  trainable_params: number;
  peak_reserved_gb: number;
}

const file = join(__dirname, '..', '..', 'resources', 'calibration', 'h100-qwen05b.json');
const calibration = JSON.parse(readFileSync(file, 'utf8')) as {
  model: Record<string, unknown> & { parameters: number };
  measurements: Measurement[];
};
const { arch } = archFromConfig(calibration.model, file);

// The settings gpu_calibration.py ran (its METHODS table), in the estimator's terms.
const METHODS: Record<Measurement['method'], MethodSpec> = {
  // The measured run predates the fix of the trainer's default targets for Qwen2 (found by this
  // very comparison: gate_proj and up_proj were left out), so it adapted these five.
  lora: { kind: 'lora', rank: 16, targets: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'down_proj'] },
  freeze: { kind: 'freeze', trainableLayers: 4 },
  ptuning: { kind: 'ptuning', version: 2, preSeqLen: 16, projection: true },
  all: { kind: 'full' },
};

// Under-estimating is what hurts users (a run that was promised to fit dies with OOM), so the
// band is lopsided: at most 10% under, at most 30% over what the GPU really reserved.
const MAX_UNDER = 0.1;
const MAX_OVER = 0.3;

describe('estimator vs measured peaks on an H100 (torch engine, bf16, micro-batch 1)', () => {
  it('has every setting measured and completed', () => {
    expect(calibration.measurements).toHaveLength(16);
    for (const m of calibration.measurements) expect(m.status, `${m.method} ${m.seq_len}`).toBe('completed');
  });

  for (const m of calibration.measurements) {
    const label = `${m.method}, max_len ${m.seq_len}, checkpointing ${m.gradient_checkpointing ? 'on' : 'off'}`;
    it(`${label}: within -${MAX_UNDER * 100}% / +${MAX_OVER * 100}%`, () => {
      const settings: TrainSettings = {
        dtype: 'bf16',
        microBatch: 1,
        seqLen: m.seq_len,
        gradientCheckpointing: m.gradient_checkpointing,
        gpus: 1,
        zeroStage: 0,
        offloadOptimizer: false,
        offloadParams: false,
        chunkedLoss: false, // measured with the trainer of before the chunked loss (full logits)
      };
      const result = estimate({ params: calibration.model.parameters, arch }, METHODS[m.method], settings);
      const estimatedGb = (result.perGpuBytes - CUDA_CONTEXT_BYTES) / GiB;
      const ratio = estimatedGb / m.peak_reserved_gb;
      expect(ratio, `${label}: estimated ${estimatedGb.toFixed(2)} GiB, measured ${m.peak_reserved_gb} GiB`).toBeGreaterThanOrEqual(1 - MAX_UNDER);
      expect(ratio, `${label}: estimated ${estimatedGb.toFixed(2)} GiB, measured ${m.peak_reserved_gb} GiB`).toBeLessThanOrEqual(1 + MAX_OVER);
    });
  }

  it('counts the same trainable parameters as the trainer for LoRA, Freeze and full', () => {
    for (const m of calibration.measurements.filter((x) => x.method !== 'ptuning')) {
      const settings = { dtype: 'bf16', microBatch: 1, seqLen: 512, gradientCheckpointing: true, gpus: 1, zeroStage: 0, offloadOptimizer: false, offloadParams: false } as const;
      const { trainableParams } = estimate({ params: calibration.model.parameters, arch }, METHODS[m.method], settings);
      expect(Math.abs(trainableParams - m.trainable_params) / m.trainable_params, m.method).toBeLessThan(0.02);
    }
  });
});
