// config.json -> architecture numbers and a parameter count, per family. The formulas mirror the
// modules the families build (transformers' modeling_llama/qwen2/qwen3/mistral/glm/glm4 and the
// ChatGLM remote code), so a config-only directory still gets an honest size.
import type { ModelArch } from '../../shared/contract/models';

export type RawConfig = Record<string, unknown>;

export class ConfigError extends Error {}

export interface ConfigArch {
  family: string;
  arch: ModelArch;
  params: number;
}

const num = (config: RawConfig, ...keys: string[]): number | undefined => {
  for (const key of keys) {
    const value = config[key];
    if (typeof value === 'number' && Number.isFinite(value)) return value;
  }
  return undefined;
};

function required(config: RawConfig, file: string, label: string, ...keys: string[]): number {
  const value = num(config, ...keys);
  if (value === undefined || value <= 0) {
    throw new ConfigError(`${file}: no ${label} (looked for ${keys.join(', ')}); this config is incomplete or not a causal LM`);
  }
  return value;
}

const FAMILIES: Record<string, string> = {
  llama: 'llama',
  mistral: 'mistral',
  qwen2: 'qwen2',
  qwen3: 'qwen3',
  glm: 'glm',
  glm4: 'glm4',
  chatglm: 'chatglm',
};

/** Reads the architecture from a parsed config.json. `file` is only used in error messages. */
export function archFromConfig(config: RawConfig, file: string): ConfigArch {
  const modelType = typeof config.model_type === 'string' ? config.model_type : '';
  const family = FAMILIES[modelType] ?? (modelType || 'unknown');
  if (modelType === 'chatglm') return chatglmArch(config, file);

  const hidden = required(config, file, 'hidden size', 'hidden_size', 'n_embd', 'd_model');
  const layers = required(config, file, 'layer count', 'num_hidden_layers', 'n_layer', 'num_layers');
  const heads = required(config, file, 'attention head count', 'num_attention_heads', 'n_head');
  const kvHeads = num(config, 'num_key_value_heads') ?? heads;
  const headDim = num(config, 'head_dim') ?? Math.floor(hidden / heads);
  const ffn = num(config, 'intermediate_size', 'n_inner', 'ffn_hidden_size') ?? 4 * hidden;
  const vocab = required(config, file, 'vocabulary size', 'vocab_size', 'padded_vocab_size');
  const tied = config.tie_word_embeddings === true;
  const q = heads * headDim;
  const kv = kvHeads * headDim;
  // Attention: q, k, v and o projections; qwen2 and glm/glm4 put a bias on q, k, v.
  const qkvBias = modelType === 'qwen2' || modelType === 'glm' || modelType === 'glm4' || config.attention_bias === true;
  let attention = hidden * q + 2 * hidden * kv + q * hidden + (qkvBias ? q + 2 * kv : 0);
  if (modelType === 'qwen3') attention += 2 * headDim; // q_norm and k_norm (RMSNorm over head_dim)
  const mlp = 3 * hidden * ffn; // gate, up (fused as gate_up_proj in glm/glm4) and down
  const norms = (modelType === 'glm4' ? 4 : 2) * hidden; // glm4 adds post-attention and post-MLP norms
  const layerParams = attention + mlp + norms;
  const embeddingParams = vocab * hidden;
  const params = layers * layerParams + embeddingParams * (tied ? 1 : 2) + hidden; // + final norm
  return {
    family,
    params,
    arch: {
      layers,
      hidden,
      heads,
      kvHeads,
      headDim,
      ffn,
      vocab,
      mlp: 'gated',
      attention: 'sdpa',
      tiedEmbeddings: tied,
      layerParams,
      embeddingParams,
      maxPositions: num(config, 'max_position_embeddings', 'seq_length') ?? null,
    },
  };
}

/**
 * ChatGLM remote-code configs. ChatGLM-6B (first generation): num_layers, inner_hidden_size,
 * vocab_size, full multi-head attention with biases, LayerNorm, GELU MLP. ChatGLM2/3:
 * padded_vocab_size, ffn_hidden_size, kv_channels, multi_query_group_num (multi-query attention),
 * RMSNorm, SwiGLU (dense_h_to_4h projects to 2 x ffn), bias only on query_key_value.
 * Both compute attention scores eagerly with an fp32 softmax (attention_softmax_in_fp32).
 */
function chatglmArch(config: RawConfig, file: string): ConfigArch {
  const hidden = required(config, file, 'hidden size', 'hidden_size');
  const layers = required(config, file, 'layer count', 'num_layers', 'num_hidden_layers');
  const heads = required(config, file, 'attention head count', 'num_attention_heads');
  const vocab = required(config, file, 'vocabulary size', 'padded_vocab_size', 'vocab_size');
  const tied = false; // both generations keep a separate lm_head / output_layer
  const multiQuery = config.multi_query_attention === true;
  const headDim = num(config, 'kv_channels') ?? Math.floor(hidden / heads);
  const maxPositions = num(config, 'seq_length', 'max_sequence_length') ?? null;
  if (multiQuery || config.padded_vocab_size !== undefined) {
    const groups = multiQuery ? required(config, file, 'multi-query group count', 'multi_query_group_num') : heads;
    const ffn = required(config, file, 'FFN size', 'ffn_hidden_size');
    const q = heads * headDim;
    const kv = groups * headDim;
    const qkvBias = config.add_qkv_bias !== false;
    const linearBias = config.add_bias_linear === true;
    const attention = hidden * (q + 2 * kv) + (qkvBias ? q + 2 * kv : 0) + q * hidden + (linearBias ? hidden : 0);
    const mlp = hidden * 2 * ffn + ffn * hidden + (linearBias ? 2 * ffn + hidden : 0);
    const normParams = config.rmsnorm === false ? 2 : 1; // LayerNorm has a bias, RMSNorm does not
    const layerParams = attention + mlp + 2 * hidden * normParams;
    const embeddingParams = vocab * hidden;
    const params = layers * layerParams + 2 * embeddingParams + hidden * normParams;
    return {
      family: 'chatglm',
      params,
      arch: {
        layers, hidden, heads, kvHeads: groups, headDim, ffn, vocab, mlp: 'gated', attention: 'eager-fp32-softmax',
        tiedEmbeddings: tied, layerParams, embeddingParams, maxPositions,
      },
    };
  }
  const ffn = num(config, 'inner_hidden_size', 'ffn_hidden_size') ?? 4 * hidden;
  const attention = hidden * 3 * hidden + 3 * hidden + hidden * hidden + hidden; // qkv + dense, with biases
  const mlp = hidden * ffn + ffn + ffn * hidden + hidden;
  const layerParams = attention + mlp + 4 * hidden; // two LayerNorms with bias
  const embeddingParams = vocab * hidden;
  const params = layers * layerParams + 2 * embeddingParams + 2 * hidden;
  return {
    family: 'chatglm',
    params,
    arch: {
      layers, hidden, heads, kvHeads: heads, headDim, ffn, vocab, mlp: 'plain', attention: 'eager-fp32-softmax',
      tiedEmbeddings: tied, layerParams, embeddingParams, maxPositions,
    },
  };
}
