// "Try it": generate an answer from a run's checkpoint or an export, streamed token by token.
// Served by electron/services/predict; the work runs in `python -m tunedesk predict`.
import { z } from 'zod';
import { classifiedErrorSchema } from '../events';
import { call, topic } from './define';
import { localPath } from './path-field';

const runId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a run id is letters, digits, ".", "_" and "-"').max(200);

export const predictOutcomeSchema = z.discriminatedUnion('status', [
  // tokens and seconds: how many new tokens the answer has and how long generating them took (tokens/s).
  z.object({ status: z.literal('completed'), text: z.string(), tokens: z.number().int().min(0).optional(), seconds: z.number().min(0).optional() }),
  z.object({ status: z.literal('failed'), error: classifiedErrorSchema, partial: z.string() }),
  z.object({ status: z.literal('cancelled'), partial: z.string() }),
]);

export const predictCalls = {
  /** Ask one question; tokens stream on 'predict.tokens'. */
  'predict.start': call(
    "Generate an answer with the run's own prompt template, from a run's newest checkpoint (runId) or a model, " +
      "checkpoint or export folder (model). Returns a job id at once; the text streams on 'predict.tokens'.",
    z.strictObject({
      runId: runId.optional(),
      model: localPath({ must: 'exist', kind: 'directory' }).optional(),
      prompt: z.string().min(1).max(20_000),
      maxNewTokens: z.number().int().min(1).max(4096).default(128),
      greedy: z.boolean().default(true),
      temperature: z.number().gt(0).max(5).optional(),
      topP: z.number().gt(0).max(1).optional(),
      /** Earlier turns of a chat, oldest first, alternating user/assistant; the prompt is the next user turn. */
      history: z
        .array(z.strictObject({ role: z.enum(['user', 'assistant']), content: z.string().max(20_000) }))
        .max(64)
        .refine((turns) => turns.every((t, i) => t.role === (i % 2 === 0 ? 'user' : 'assistant')) && turns.length % 2 === 0, {
          message: 'turns alternate user, assistant, ... and end on an assistant answer',
        })
        .optional(),
    }),
    z.object({ jobId: z.string(), model: z.string() }),
  ),
  /** Stop a generation early. */
  'predict.cancel': call('Stop a running generation.', z.strictObject({ jobId: z.string().max(100) }), z.object({ cancelled: z.boolean() })),
};

export const predictTopics = {
  /** New text of one generation, in order; the last event has done: true and the outcome. */
  'predict.tokens': topic(
    'Streamed text of a generation job: each event carries the next piece (index counts from 0); the last has done: true and the outcome.',
    z.object({ jobId: z.string(), index: z.number().int(), text: z.string(), done: z.boolean(), outcome: predictOutcomeSchema.optional() }),
  ),
};
