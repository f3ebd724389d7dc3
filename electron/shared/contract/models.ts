// Model inspection: what a local Hugging Face model directory holds, read from config.json and
// the safetensors headers only (never the tensors, never remote code).
import { z } from 'zod';
import { call } from './define';
import { localPath } from './path-field';

/** The three ChatGLM generations, which need different handling before training. */
export const chatglmGenerationSchema = z.enum(['chatglm-6b', 'chatglm2-6b', 'chatglm3-6b']);
export type ChatglmGeneration = z.infer<typeof chatglmGenerationSchema>;

/** How a model's attention keeps its scores: eager fp32 softmax (ChatGLM remote code) or fused SDPA. */
export const attentionKindSchema = z.enum(['eager-fp32-softmax', 'sdpa']);

/** Architecture numbers the estimator needs, whichever config naming the family uses. */
export const modelArchSchema = z.object({
  layers: z.number().int().positive(),
  hidden: z.number().int().positive(),
  heads: z.number().int().positive(),
  kvHeads: z.number().int().positive(),
  headDim: z.number().int().positive(),
  ffn: z.number().int().positive(),
  vocab: z.number().int().positive(),
  /** gated: SwiGLU-style (gate + up + down); plain: one up projection and GELU. */
  mlp: z.enum(['gated', 'plain']),
  attention: attentionKindSchema,
  tiedEmbeddings: z.boolean(),
  /** Parameters of one transformer block (config formula). */
  layerParams: z.number().int().nonnegative(),
  /** Parameters of the input embedding matrix (vocab x hidden). */
  embeddingParams: z.number().int().nonnegative(),
  /** Longest sequence the config declares, when it does. */
  maxPositions: z.number().int().positive().nullable(),
});
export type ModelArch = z.infer<typeof modelArchSchema>;

export const modelInfoSchema = z.object({
  dir: z.string(),
  /** llama, qwen2, qwen3, mistral, glm, glm4, chatglm or the config's own model_type. */
  family: z.string(),
  modelType: z.string().nullable(),
  architecture: z.string().nullable(),
  chatglmGeneration: chatglmGenerationSchema.nullable(),
  /** Exact when paramsSource is safetensors; from the family's config formula otherwise. */
  params: z.number().int().nonnegative(),
  paramsSource: z.enum(['safetensors', 'config']),
  arch: modelArchSchema,
  dtype: z.string().nullable(),
  sizeOnDiskBytes: z.number().int().nonnegative(),
  weightFiles: z.array(z.string()),
  /** auto_map entries: the model asks for remote code. Reported, never executed. */
  remoteCode: z.record(z.string(), z.string()).nullable(),
  /** What must happen before TuneDesk can train it ("needs import-chatglm", "legacy environment"). */
  needs: z.array(z.string()),
  notes: z.array(z.string()),
});
export type ModelInfo = z.infer<typeof modelInfoSchema>;

/** What convert-weights did: the pickle files it read and the safetensors files it wrote beside them. */
export const convertWeightsResultSchema = z.object({
  /** The model folder, resolved. */
  modelDir: z.string(),
  /** False when the folder already had safetensors weights (then `note` says so). */
  converted: z.boolean(),
  /** The pickle files read (pytorch_model*.bin), left untouched. */
  sources: z.array(z.string()),
  /** The safetensors files written (model.safetensors, or model-0000i-of-0000n.safetensors + index). */
  shards: z.array(z.string()),
  tensors: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
  note: z.string(),
});
export type ConvertWeightsResult = z.infer<typeof convertWeightsResultSchema>;

/** What import-chatglm wrote: the native glm model to train instead of the ChatGLM2/3 checkpoint. */
export const importChatglmResultSchema = z.object({
  outDir: z.string(),
  reused: z.boolean(),
  model: z.string(),
  parameters: z.number().int().nonnegative(),
  notes: z.array(z.string()),
});

export const modelsCalls = {
  /** Inspect a local model directory: family, exact parameter count, layout, remote code. */
  'models.inspect': call(
    'Inspect a local Hugging Face model directory: family, architecture, exact parameter count ' +
      '(safetensors headers, or the config formula when only config.json is there), dtype, size on ' +
      'disk and whether it asks for remote code (reported, never run).',
    z.strictObject({ dir: localPath({ must: 'exist', kind: 'directory' }) }),
    modelInfoSchema,
  ),
  /** Write a safetensors copy of a folder's pickle weights beside them (python -m tunedesk convert-weights). */
  'models.convertWeights': call(
    'For a model folder whose weights are only pickle files (.bin) and that inspection says needs ' +
      'convert-weights: write a safetensors copy beside them, reading tensors only (torch weights_only; no ' +
      'code from the files runs). The .bin files stay; needs about as much free disk as they take. Minutes ' +
      'for big models; refused for folders that do not need it and while the same folder is converting.',
    z.strictObject({ modelDir: localPath({ must: 'exist', kind: 'directory' }) }),
    convertWeightsResultSchema,
  ),
  /** Convert a ChatGLM2/3 checkpoint to a native glm model in <data dir>/models (python -m tunedesk import-chatglm). */
  'models.importChatglm': call(
    'For a ChatGLM2-6B/ChatGLM3-6B checkpoint that inspection says needs import-chatglm: write the native transformers ' +
      'glm model to <data dir>/models/<name>-glm (weights, rotary settings and tokenizer converted; the checkpoint\'s own ' +
      'code never runs). Minutes; an earlier import there is reused.',
    z.strictObject({ modelDir: localPath({ must: 'exist', kind: 'directory' }) }),
    importChatglmResultSchema,
  ),
};
