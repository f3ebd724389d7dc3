// The wizard's data step: validate a data file (line-numbered problems) and, given a model, show
// how samples become tokens (template applied, prompt vs answer, truncation) with a length
// histogram. Runs the trainer's own `python -m tunedesk data-check --json`, so the app shows
// exactly what training will do.
import { z } from 'zod';
import { call } from './define';
import { localPath } from './path-field';

export const dataProblemSchema = z.object({ file: z.string(), line: z.number().int(), reason: z.string() });

export const cutLimitSchema = z.enum(['max_src_len', 'max_len']);

export const previewSegmentSchema = z.object({
  text: z.string(),
  /** prompt: no loss taken; answer: learnt; special: template tokens; truncated: cut off (see limit). */
  kind: z.enum(['prompt', 'answer', 'special', 'truncated']),
  /** truncated only: the limit that cut it (max_src_len: the prompt; max_len: the whole sample). */
  limit: cutLimitSchema.optional(),
});

export const dataCheckReportSchema = z.object({
  ok: z.boolean(),
  trainPath: z.string(),
  /** Valid samples. */
  samples: z.number().int().nonnegative(),
  format: z.string().nullable(),
  /** The first 100 problems, each with its file and line. */
  problems: z.array(dataProblemSchema),
  problemCount: z.number().int().nonnegative(),
  /** The prompt layout used (with a model only). */
  mode: z.string().nullable(),
  stats: z
    .object({
      samples: z.number().int(),
      kept: z.number().int(),
      skipped: z.number().int(),
      truncated: z.number().int(),
      max_tokens: z.number().int(),
      mean_tokens: z.number(),
    })
    .nullable(),
  /** Token lengths before truncation: bins (edges), counts, and the share over max_len. */
  histogram: z
    .object({
      bins: z.array(z.number()),
      counts: z.array(z.number().int()),
      max_len: z.number().int(),
      over_max_len: z.number().int(),
      share_over_max_len: z.number(),
      longest: z.number().int(),
    })
    .nullable(),
  preview: z.array(
    z.object({
      line: z.number().int(),
      segments: z.array(previewSegmentSchema),
      tokens: z.number().int(),
      truncated: z.boolean(),
      /** The limits that cut this sample (empty: nothing was cut). */
      cutBy: z.array(cutLimitSchema).default([]),
    }),
  ),
  /** Set when the file could not be checked at all (unreadable, bad tokenizer...). */
  error: z.object({ kind: z.string(), message: z.string(), hint: z.string() }).nullable(),
});
export type DataCheckReport = z.infer<typeof dataCheckReportSchema>;

export const datasetsCalls = {
  /** Validate a data file; with a model, preview its tokenization and the length histogram. */
  'datasets.check': call(
    'Validate a training data file (JSON lines or a JSON array; every problem with its line number) ' +
      'and, when a model folder is given, preview how samples tokenize with the prompt template, ' +
      'what max_len truncates, and a histogram of token lengths.',
    z.strictObject({
      trainPath: localPath({ must: 'exist', kind: 'file' }),
      modelDir: localPath({ must: 'exist', kind: 'directory' }).optional(),
      mode: z.enum(['glm', 'glm2', 'glm3', 'chat']).optional(),
      maxLen: z.number().int().min(8).max(1_048_576).optional(),
      maxSrcLen: z.number().int().min(1).max(1_048_576).optional(),
      preview: z.number().int().min(0).max(50).optional(),
      dropEmptyOutput: z.boolean().optional(),
    }),
    dataCheckReportSchema,
  ),
};
