// The training-time estimate shown before Start: optimizer steps x tokens per step over a speed
// measured on this machine (a previous run, the preflight probe) or, failing that, computed from
// the device's peak. Served by electron/api/bindings/time-estimate.ts.
import { z } from 'zod';
import { call } from './define';
import { runConfigRequestSchema } from './runs';

export const timeEstimateSchema = z.object({
  /** Central estimate of the training steps, seconds; null when there is no basis for one. */
  seconds: z.number().nullable(),
  lowSeconds: z.number().nullable(),
  highSeconds: z.number().nullable(),
  /** Optimizer steps, counted as the trainer counts them. */
  steps: z.number().int(),
  /** Real (unpadded) tokens per optimizer step: samples per step x mean tokens per sample. */
  tokensPerStep: z.number(),
  tokensPerSecond: z.number().nullable(),
  /** One plain sentence: where the speed came from. */
  basis: z.string(),
  source: z.enum(['previous-run', 'preflight', 'compute', 'unknown']),
});
export type TimeEstimateResult = z.infer<typeof timeEstimateSchema>;

export const timeEstimateCalls = {
  /** How long the run will take, as a range, and where the speed figure comes from. */
  'estimator.time': call(
    'Estimate the training time of a run configuration: optimizer steps from the data size, tokens per step ' +
      'from the data check (else max_len), and a speed measured on this machine (a previous run of the same ' +
      'model and method on the same device, or the preflight probe) or computed from the device. A range, or unknown.',
    z.strictObject({
      config: runConfigRequestSchema,
      gpus: z.array(z.number().int().min(0).max(255)).max(64).optional(),
      /** From the data check: samples kept and their mean token length after truncation. */
      data: z.strictObject({ samples: z.number().int().min(0), meanTokens: z.number().positive() }).optional(),
      /** From the preflight probe (runs.preflight). */
      measured: z.strictObject({ tokensPerSecond: z.number().positive(), secondsPerStep: z.number().positive().nullable() }).optional(),
    }),
    timeEstimateSchema,
  ),
};
