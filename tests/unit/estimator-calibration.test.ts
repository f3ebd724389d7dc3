// The estimator against the published measurements of the original ChatGLM scripts (A40,
// DeepSpeed fp16): each row within ±15%. The rows pin the framework constants documented in
// electron/services/estimator; nothing in the estimator knows these rows.
import { describe, expect, it } from 'vitest';
import { archFromConfig } from '../../electron/services/models/config-arch';
import { estimate, GiB } from '../../electron/services/estimator/estimate';
import { A40_BASE, CALIBRATION_ROWS, CHATGLM2_6B_CONFIG, CHATGLM_6B_CONFIG } from '../helpers/estimator-calibration-rows';

const models = {
  'chatglm-6b': archFromConfig(CHATGLM_6B_CONFIG, 'chatglm-6b/config.json'),
  'chatglm2-6b': archFromConfig(CHATGLM2_6B_CONFIG, 'chatglm2-6b/config.json'),
};

describe('estimator calibration (ChatGLM-Finetuning measurements, A40)', () => {
  it('reads the architecture facts of both generations from their configs', () => {
    // ChatGLM-6B: 28 x 201.4M-parameter blocks + two 130528 x 4096 matrices; ChatGLM2-6B: 6.24B.
    expect(models['chatglm-6b'].params).toBe(6_707_929_088);
    expect(models['chatglm2-6b'].params).toBe(6_243_584_000);
    expect(models['chatglm2-6b'].arch.kvHeads).toBe(2);
    expect(models['chatglm2-6b'].arch.headDim).toBe(128);
  });

  it.each(CALIBRATION_ROWS)('$label: $measuredGiB GiB ±15%', (row) => {
    const result = estimate(models[row.model], row.method, { ...A40_BASE, ...row.settings });
    const estimated = result.perGpuBytes / GiB;
    expect(Math.abs(estimated / row.measuredGiB - 1)).toBeLessThanOrEqual(0.15);
  });

  it('keeps the orderings the measurements show', () => {
    const at = (i: number) => {
      const row = CALIBRATION_ROWS[i]!;
      return estimate(models[row.model], row.method, { ...A40_BASE, ...row.settings }).perGpuBytes;
    };
    expect(at(2)).toBeLessThan(at(0)); // Freeze on 4 GPUs < on 1 (optimizer states split)
    expect(at(3)).toBeGreaterThan(1.8 * at(4)); // ChatGLM-6B's full-width prefix costs far more than ChatGLM2's
    expect(at(7)).toBeGreaterThan(1.8 * at(5)); // LoRA without checkpointing ~2x with it
    expect(at(9)).toBeGreaterThan(at(10)); // ZeRO-3 offload: the bigger vocabulary costs more
  });
});
