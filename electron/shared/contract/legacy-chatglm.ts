// ChatGLM-6B (the first generation) trains only with its own Python code, in a separate legacy
// environment (transformers 4.27-4.33), after the user agrees to run exactly the files shown.
// These calls show what would run and record that consent (python -m tunedesk legacy-env).
import { z } from 'zod';
import { call } from './define';
import { localPath } from './path-field';

const sha256Schema = z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 is 64 lowercase hex digits');

/** One of the checkpoint's Python files that would run with trust_remote_code. */
export const legacyChatglmFileSchema = z.object({
  /** Relative to the model folder (modeling_chatglm.py, quantization.py, ...). */
  name: z.string(),
  bytes: z.number().int().nonnegative(),
  sha256: z.string(),
});
export type LegacyChatglmFile = z.infer<typeof legacyChatglmFileSchema>;

export const legacyChatglmStatusSchema = z.object({
  modelDir: z.string(),
  /** Why ChatGLM-6B needs all this, in plain words (from the trainer). */
  explanation: z.string(),
  /** Exactly the files the consent covers, with their current SHA-256. */
  files: z.array(legacyChatglmFileSchema),
  env: z.object({
    exists: z.boolean(),
    path: z.string(),
    /** The pinned packages it holds (transformers==4.33.3, torch==2.0.1, ...). */
    pins: z.array(z.string()),
  }),
  /** The user agreed to run the current contents of `files`. */
  consent: z.boolean(),
  /** consent and env.exists: runs of this model use the legacy environment by themselves. */
  ready: z.boolean(),
  /** Set when the folder holds only pickle (.bin) weights: convert-weights must run first. */
  weightsNote: z.string().nullable(),
  /** The environment was created by this call (agree only). */
  created: z.boolean(),
});
export type LegacyChatglmStatus = z.infer<typeof legacyChatglmStatusSchema>;

export const legacyChatglmCalls = {
  /** What ChatGLM-6B's legacy environment needs for this model: files that would run, env, consent. */
  'models.legacyChatglm': call(
    'For a ChatGLM-6B (first generation) folder: why it needs its own code and transformers 4.27-4.33 in ' +
      'a separate environment, which of its Python files would run (size, SHA-256), whether that ' +
      'environment exists and whether the user agreed to the current files. Runs none of them.',
    z.strictObject({ modelDir: localPath({ must: 'exist', kind: 'directory' }) }),
    legacyChatglmStatusSchema,
  ),
  /** The user agrees to run the files they were shown; creates the legacy environment if missing. */
  'models.legacyChatglmAgree': call(
    'Record the consent to run a ChatGLM-6B folder\'s Python files exactly as the user saw them (refused ' +
      'when any changed since) and create the legacy environment when it is missing (pip install of the ' +
      'pinned versions: minutes, needs internet access). Answers the new status.',
    z.strictObject({
      modelDir: localPath({ must: 'exist', kind: 'directory' }),
      /** The files and hashes the user was shown and agreed to. */
      files: z.array(z.strictObject({ name: z.string().min(1).max(4096), sha256: sha256Schema })).max(10_000),
    }),
    legacyChatglmStatusSchema,
  ),
};
