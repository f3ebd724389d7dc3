// The published measurements of the original ChatGLM fine-tuning scripts (NVIDIA A40, DeepSpeed
// fp16, batch 1, max_len 1560 unless noted, gradient checkpointing on), per GPU, as nvidia-smi
// shows them (GiB). The estimator must reproduce each within ±15%.
import type { MethodSpec, TrainSettings } from '../../electron/shared/contract/estimator';

export const CHATGLM_6B_CONFIG = {
  model_type: 'chatglm',
  architectures: ['ChatGLMModel'],
  hidden_size: 4096,
  inner_hidden_size: 16384,
  num_layers: 28,
  num_attention_heads: 32,
  vocab_size: 130528,
  position_encoding_2d: true,
  max_sequence_length: 2048,
  auto_map: { AutoConfig: 'configuration_chatglm.ChatGLMConfig', AutoModel: 'modeling_chatglm.ChatGLMForConditionalGeneration' },
};

export const CHATGLM2_6B_CONFIG = {
  model_type: 'chatglm',
  _name_or_path: 'THUDM/chatglm2-6b',
  architectures: ['ChatGLMModel'],
  hidden_size: 4096,
  ffn_hidden_size: 13696,
  kv_channels: 128,
  num_layers: 28,
  num_attention_heads: 32,
  multi_query_attention: true,
  multi_query_group_num: 2,
  padded_vocab_size: 65024,
  seq_length: 32768,
  add_qkv_bias: true,
  add_bias_linear: false,
  rmsnorm: true,
  attention_softmax_in_fp32: true,
  torch_dtype: 'float16',
  auto_map: { AutoConfig: 'configuration_chatglm.ChatGLMConfig', AutoModel: 'modeling_chatglm.ChatGLMForConditionalGeneration' },
};

export interface CalibrationRow {
  label: string;
  model: 'chatglm-6b' | 'chatglm2-6b';
  method: MethodSpec;
  settings: Partial<TrainSettings>;
  measuredGiB: number;
}

const freeze4: MethodSpec = { kind: 'freeze', trainableLayers: 4 };
const ptuning: MethodSpec = { kind: 'ptuning', version: 2, preSeqLen: 16, projection: true };
const lora: MethodSpec = { kind: 'lora', rank: 16, targets: ['query_key_value'] };
const full: MethodSpec = { kind: 'full' };
// The original scripts loaded the model before deepspeed.initialize: no zero.Init.
const zero3Offload = { zeroStage: 3, offloadOptimizer: true, offloadParams: true, gpus: 4, zeroInit: false } as const;

export const CALIBRATION_ROWS: CalibrationRow[] = [
  { label: 'ChatGLM-6B Freeze last 4, ZeRO-2, 1 GPU', model: 'chatglm-6b', method: freeze4, settings: {}, measuredGiB: 36 },
  { label: 'ChatGLM2-6B Freeze last 4, ZeRO-2, 1 GPU', model: 'chatglm2-6b', method: freeze4, settings: {}, measuredGiB: 35 },
  { label: 'ChatGLM-6B Freeze last 4, ZeRO-2, 4 GPUs', model: 'chatglm-6b', method: freeze4, settings: { gpus: 4 }, measuredGiB: 24 },
  { label: 'ChatGLM-6B P-Tuning v2, max_len 768', model: 'chatglm-6b', method: ptuning, settings: { seqLen: 768 }, measuredGiB: 43 },
  { label: 'ChatGLM2-6B P-Tuning v2', model: 'chatglm2-6b', method: ptuning, settings: {}, measuredGiB: 20 },
  { label: 'ChatGLM-6B LoRA r16', model: 'chatglm-6b', method: lora, settings: {}, measuredGiB: 20 },
  { label: 'ChatGLM2-6B LoRA r16', model: 'chatglm2-6b', method: lora, settings: {}, measuredGiB: 20 },
  { label: 'ChatGLM-6B LoRA r16, no checkpointing', model: 'chatglm-6b', method: lora, settings: { gradientCheckpointing: false }, measuredGiB: 45 },
  { label: 'ChatGLM2-6B LoRA r16, no checkpointing', model: 'chatglm2-6b', method: lora, settings: { gradientCheckpointing: false }, measuredGiB: 43 },
  { label: 'ChatGLM-6B full, ZeRO-3 + CPU offload, 4 GPUs', model: 'chatglm-6b', method: full, settings: zero3Offload, measuredGiB: 33 },
  { label: 'ChatGLM2-6B full, ZeRO-3 + CPU offload, 4 GPUs', model: 'chatglm2-6b', method: full, settings: zero3Offload, measuredGiB: 26 },
];

/** The original scripts' setting: DeepSpeed ZeRO-2 fp16, batch 1, max_len 1560, checkpointing on. */
export const A40_BASE: TrainSettings = {
  dtype: 'fp16',
  microBatch: 1,
  seqLen: 1560,
  gradientCheckpointing: true,
  gpus: 1,
  zeroStage: 2,
  offloadOptimizer: false,
  offloadParams: false,
};
