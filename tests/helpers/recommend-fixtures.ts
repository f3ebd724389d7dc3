// Shared inputs for the recommendation tests: a 6B model and machine budgets.
import type { ModelInfo } from '../../electron/shared/contract/models';
import { archFromConfig, type RawConfig } from '../../electron/services/models/config-arch';
import type { MachineBudget } from '../../electron/services/recommend/machine-budget';

export const GiB = 1024 ** 3;

/** A model as inspectModel would describe a config-only directory. */
export function modelFromConfig(config: RawConfig, extra: Partial<ModelInfo> = {}): ModelInfo {
  const { family, arch, params } = archFromConfig(config, 'config.json');
  return {
    dir: '/models/x', family, modelType: String(config.model_type), architecture: null, chatglmGeneration: null, params, paramsSource: 'config',
    arch, dtype: 'bfloat16', sizeOnDiskBytes: params * 2, weightFiles: [], remoteCode: null, needs: [], notes: [], ...extra,
  };
}

/** Yi-6B's layout (llama family, 6.06B parameters). */
export const SIX_B = modelFromConfig({
  model_type: 'llama', hidden_size: 4096, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: 4, intermediate_size: 11008,
  vocab_size: 64000, tie_word_embeddings: false, max_position_embeddings: 4096,
});

export function gpuBudget(gib: number, count = 1, over: Partial<MachineBudget> = {}): MachineBudget {
  return {
    device: 'cuda', gpuMemory: Array.from({ length: count }, () => ({ name: `GPU ${gib} GB`, bytes: gib * GiB })),
    hostRamAvailableBytes: 256 * GiB, freeDiskBytes: 2000 * GiB, deepspeed: true, deepspeedDetail: '', trainerReady: true, ...over,
  };
}

export const CPU_ONLY: MachineBudget = {
  device: 'cpu', gpuMemory: [], hostRamAvailableBytes: 48 * GiB, freeDiskBytes: 500 * GiB, deepspeed: false, deepspeedDetail: 'DeepSpeed needs CUDA', trainerReady: true,
};
