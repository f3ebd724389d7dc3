// The short list a newcomer picks from: small instruct models in several sizes, each with its
// size and which methods fit this machine. The architectures are the repos' own config.json
// numbers, so the estimator and the recommender judge them exactly as they would the downloaded
// folder (ChatGLM3 as it trains after import-chatglm).
import type { CatalogEntry } from '../../shared/contract/hub';
import type { ModelInfo } from '../../shared/contract/models';
import { archFromConfig, type RawConfig } from '../models/config-arch';
import type { MachineBudget } from '../recommend/machine-budget';
import { recommend } from '../recommend/recommend';

interface Curated {
  repoId: string;
  label: string;
  gated: boolean;
  note: string;
  chatglmGeneration?: ModelInfo['chatglmGeneration'];
  config: RawConfig;
}

const qwen = (layers: number, hidden: number, heads: number, kvHeads: number, ffn: number, tied: boolean, vocab = 151936): RawConfig => ({
  model_type: 'qwen2',
  num_hidden_layers: layers,
  hidden_size: hidden,
  num_attention_heads: heads,
  num_key_value_heads: kvHeads,
  intermediate_size: ffn,
  vocab_size: vocab,
  tie_word_embeddings: tied,
  max_position_embeddings: 32768,
});

const llama = (layers: number, hidden: number, heads: number, headDim: number, ffn: number): RawConfig => ({
  model_type: 'llama',
  num_hidden_layers: layers,
  hidden_size: hidden,
  num_attention_heads: heads,
  num_key_value_heads: 8,
  head_dim: headDim,
  intermediate_size: ffn,
  vocab_size: 128256,
  tie_word_embeddings: true,
  max_position_embeddings: 131072,
});

export const CURATED: Curated[] = [
  { repoId: 'Qwen/Qwen2.5-0.5B-Instruct', label: 'Qwen2.5 0.5B Instruct', gated: false, note: 'Smallest: trains on a laptop CPU; a good first run.', config: qwen(24, 896, 14, 2, 4864, true) },
  { repoId: 'Qwen/Qwen2.5-1.5B-Instruct', label: 'Qwen2.5 1.5B Instruct', gated: false, note: 'Small and capable; LoRA on an 8 GB GPU.', config: qwen(28, 1536, 12, 2, 8960, true) },
  { repoId: 'Qwen/Qwen2.5-3B-Instruct', label: 'Qwen2.5 3B Instruct', gated: false, note: 'Research licence (Qwen), not Apache-2.0.', config: qwen(36, 2048, 16, 2, 11008, true) },
  { repoId: 'Qwen/Qwen2.5-7B-Instruct', label: 'Qwen2.5 7B Instruct', gated: false, note: 'Strong; LoRA needs a 24 GB GPU.', config: qwen(28, 3584, 28, 4, 18944, false, 152064) },
  { repoId: 'meta-llama/Llama-3.2-1B-Instruct', label: 'Llama 3.2 1B Instruct', gated: true, note: 'Gated: accept the Llama 3.2 licence on its Hub page, then give a token.', config: llama(16, 2048, 32, 64, 8192) },
  { repoId: 'meta-llama/Llama-3.2-3B-Instruct', label: 'Llama 3.2 3B Instruct', gated: true, note: 'Gated: accept the Llama 3.2 licence on its Hub page, then give a token.', config: llama(28, 3072, 24, 128, 8192) },
  {
    repoId: 'THUDM/chatglm3-6b',
    label: 'ChatGLM3 6B',
    gated: false,
    note: 'Converted once with import-chatglm after the download (one click); its own code never runs.',
    chatglmGeneration: 'chatglm3-6b',
    config: { model_type: 'chatglm', num_layers: 28, hidden_size: 4096, num_attention_heads: 32, kv_channels: 128, multi_query_attention: true, multi_query_group_num: 2, ffn_hidden_size: 13696, padded_vocab_size: 65024, seq_length: 8192, add_qkv_bias: true },
  },
  {
    repoId: 'THUDM/glm-4-9b-chat-hf',
    label: 'GLM-4 9B Chat',
    gated: false,
    note: 'The transformers-native GLM-4 (no remote code); LoRA needs a 24 GB GPU.',
    config: { model_type: 'glm', num_hidden_layers: 40, hidden_size: 4096, num_attention_heads: 32, num_key_value_heads: 2, head_dim: 128, intermediate_size: 13696, vocab_size: 151552, tie_word_embeddings: false, max_position_embeddings: 131072 },
  },
];

/** A ModelInfo for a model not on disk yet, from its config numbers. */
export function curatedModelInfo(entry: Curated): ModelInfo {
  const { family, arch, params } = archFromConfig(entry.config, `${entry.repoId}/config.json`);
  return {
    dir: entry.repoId,
    family,
    modelType: typeof entry.config.model_type === 'string' ? entry.config.model_type : null,
    architecture: null,
    chatglmGeneration: entry.chatglmGeneration ?? null,
    params,
    paramsSource: 'config',
    arch,
    dtype: 'bfloat16',
    sizeOnDiskBytes: params * 2,
    weightFiles: [],
    remoteCode: null,
    needs: [],
    notes: [],
  };
}

const VERDICT_ORDER = ['fits', 'tight', 'does-not-fit', 'unavailable'] as const;
const METHODS = ['full', 'lora', 'freeze', 'ptuning'] as const;

/** Each method's best verdict among its plans (a method fits when any of its plans does). */
export function methodFits(model: ModelInfo, budget: MachineBudget, seqLen: number): CatalogEntry['fits'] {
  const rows = recommend({ model, budget, seqLen, microBatch: 1, presets: [] }).rows;
  return METHODS.map((method) => {
    const ranks = rows.filter((r) => r.method.kind === method).map((r) => VERDICT_ORDER.indexOf(r.verdict));
    return { method, verdict: VERDICT_ORDER[ranks.length ? Math.min(...ranks) : 3] ?? 'unavailable' };
  });
}

export function catalog(budget: MachineBudget, seqLen = 1024): CatalogEntry[] {
  return CURATED.map((entry) => {
    const model = curatedModelInfo(entry);
    return { repoId: entry.repoId, label: entry.label, params: model.params, sizeBytes: model.params * 2, gated: entry.gated, note: entry.note, fits: methodFits(model, budget, seqLen) };
  });
}
