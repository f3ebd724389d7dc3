// Model inspection on tiny real directories: safetensors files written here (headers + bytes),
// sharded indexes, config-only directories (ChatGLM's three generations) and broken ones.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inspectModel, ModelDirError } from '../../electron/services/models/inspect-model';
import { readSafetensorsHeader } from '../../electron/services/models/safetensors-header';
import { CHATGLM2_6B_CONFIG, CHATGLM_6B_CONFIG } from '../helpers/estimator-calibration-rows';

const root = mkdtempSync(join(tmpdir(), 'tunedesk-models-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2 };

/** Writes a real safetensors file: header JSON, then zeroed tensor data at the declared offsets. */
function writeSafetensors(file: string, tensors: Record<string, { dtype: string; shape: number[] }>) {
  let offset = 0;
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  for (const [name, t] of Object.entries(tensors)) {
    const size = t.shape.reduce((a, b) => a * b, 1) * BYTES[t.dtype]!;
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + size] };
    offset += size;
  }
  let json = Buffer.from(JSON.stringify(header));
  const pad = (8 - (json.length % 8)) % 8; // the format pads the header with spaces
  json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  writeFileSync(file, Buffer.concat([length, json, Buffer.alloc(offset)]));
}

function modelDir(name: string, files: Record<string, unknown>): string {
  const dir = join(root, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const [file, content] of Object.entries(files)) writeFileSync(join(dir, file), typeof content === 'string' ? content : JSON.stringify(content));
  return dir;
}

// A 2-layer llama with hidden 32, heads 4 (2 KV heads), FFN 64, vocab 100, untied.
const tinyLlamaConfig = {
  model_type: 'llama', architectures: ['LlamaForCausalLM'], hidden_size: 32, intermediate_size: 64, num_hidden_layers: 2,
  num_attention_heads: 4, num_key_value_heads: 2, vocab_size: 100, tie_word_embeddings: false, torch_dtype: 'float32', max_position_embeddings: 256,
};
function tinyLlamaTensors(dtype = 'F32') {
  const t: Record<string, { dtype: string; shape: number[] }> = {
    'model.embed_tokens.weight': { dtype, shape: [100, 32] },
    'model.norm.weight': { dtype, shape: [32] },
    'lm_head.weight': { dtype, shape: [100, 32] },
  };
  for (let l = 0; l < 2; l++) {
    const p = `model.layers.${l}.`;
    Object.assign(t, {
      [`${p}self_attn.q_proj.weight`]: { dtype, shape: [32, 32] },
      [`${p}self_attn.k_proj.weight`]: { dtype, shape: [16, 32] },
      [`${p}self_attn.v_proj.weight`]: { dtype, shape: [16, 32] },
      [`${p}self_attn.o_proj.weight`]: { dtype, shape: [32, 32] },
      [`${p}mlp.gate_proj.weight`]: { dtype, shape: [64, 32] },
      [`${p}mlp.up_proj.weight`]: { dtype, shape: [64, 32] },
      [`${p}mlp.down_proj.weight`]: { dtype, shape: [32, 64] },
      [`${p}input_layernorm.weight`]: { dtype, shape: [32] },
      [`${p}post_attention_layernorm.weight`]: { dtype, shape: [32] },
    });
  }
  return t;
}
const TINY_LLAMA_PARAMS = 2 * 100 * 32 + 32 + 2 * (32 * 32 * 2 + 16 * 32 * 2 + 3 * 64 * 32 + 2 * 32);

describe('safetensors headers', () => {
  it('sums the element counts of every tensor without reading the data', async () => {
    const dir = modelDir('header-only', {});
    writeSafetensors(join(dir, 'model.safetensors'), tinyLlamaTensors('BF16'));
    const summary = await readSafetensorsHeader(join(dir, 'model.safetensors'));
    expect(summary.params).toBe(TINY_LLAMA_PARAMS);
    expect(summary.paramsByDtype).toEqual({ BF16: TINY_LLAMA_PARAMS });
  });

  it('rejects a truncated file with its name and what to do', async () => {
    const dir = modelDir('truncated', {});
    const file = join(dir, 'model.safetensors');
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(5000n);
    writeFileSync(file, Buffer.concat([length, Buffer.from('{"a":')]));
    await expect(readSafetensorsHeader(file)).rejects.toThrow(/model\.safetensors: header length 5000 .*re-download/);
  });
});

describe('inspectModel', () => {
  it('reads a tiny real llama directory: exact count from the weights, matching the config formula', async () => {
    const dir = modelDir('tiny-llama', { 'config.json': tinyLlamaConfig });
    writeSafetensors(join(dir, 'model.safetensors'), tinyLlamaTensors());
    const info = await inspectModel(dir);
    expect(info).toMatchObject({ family: 'llama', paramsSource: 'safetensors', params: TINY_LLAMA_PARAMS, dtype: 'float32', remoteCode: null, needs: [] });
    expect(info.arch).toMatchObject({ layers: 2, hidden: 32, heads: 4, kvHeads: 2, headDim: 8, ffn: 64, vocab: 100, tiedEmbeddings: false });
    expect(info.notes).toEqual([]); // the config formula agrees with the weights
    expect(info.sizeOnDiskBytes).toBeGreaterThan(TINY_LLAMA_PARAMS * 4);
  });

  it('adds up the shards named by model.safetensors.index.json and detects tied embeddings', async () => {
    const tensors = tinyLlamaTensors('F16');
    delete tensors['lm_head.weight'];
    const names = Object.keys(tensors);
    const first = Object.fromEntries(names.slice(0, 8).map((n) => [n, tensors[n]!]));
    const second = Object.fromEntries(names.slice(8).map((n) => [n, tensors[n]!]));
    const weightMap = Object.fromEntries([...Object.keys(first).map((n) => [n, 'model-00001-of-00002.safetensors']), ...Object.keys(second).map((n) => [n, 'model-00002-of-00002.safetensors'])]);
    const { tie_word_embeddings: _drop, ...config } = tinyLlamaConfig;
    const dir = modelDir('sharded', { 'config.json': config, 'model.safetensors.index.json': { metadata: {}, weight_map: weightMap } });
    writeSafetensors(join(dir, 'model-00001-of-00002.safetensors'), first);
    writeSafetensors(join(dir, 'model-00002-of-00002.safetensors'), second);
    writeSafetensors(join(dir, 'stray-extra.safetensors'), { x: { dtype: 'F32', shape: [1000] } }); // not in the index
    const info = await inspectModel(dir);
    expect(info.params).toBe(TINY_LLAMA_PARAMS - 100 * 32);
    expect(info.weightFiles).toEqual(['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
    expect(info.arch.tiedEmbeddings).toBe(true);
    expect(info.dtype).toBe('float16');
  });

  it('names missing shards', async () => {
    const dir = modelDir('missing-shard', { 'config.json': tinyLlamaConfig, 'model.safetensors.index.json': { weight_map: { a: 'model-00001-of-00002.safetensors' } } });
    await expect(inspectModel(dir)).rejects.toThrow(/missing \(model-00001-of-00002\.safetensors\); finish the download/);
  });

  it('recognises ChatGLM-6B from its config: legacy environment, remote code reported', async () => {
    const dir = modelDir('chatglm-6b', { 'config.json': CHATGLM_6B_CONFIG, 'modeling_chatglm.py': 'raise SystemExit("never run")' });
    const info = await inspectModel(dir);
    expect(info.chatglmGeneration).toBe('chatglm-6b');
    expect(info.paramsSource).toBe('config');
    expect(info.params).toBe(6_707_929_088);
    expect(info.arch).toMatchObject({ layers: 28, hidden: 4096, heads: 32, kvHeads: 32, ffn: 16384, vocab: 130528, mlp: 'plain' });
    expect(info.needs.join(' ')).toMatch(/^legacy environment/);
    expect(info.remoteCode).toEqual({ AutoConfig: 'configuration_chatglm.ChatGLMConfig', AutoModel: 'modeling_chatglm.ChatGLMForConditionalGeneration' });
    expect(info.notes.join(' ')).toMatch(/remote code .* never executed/);
  });

  it('tells ChatGLM2 from ChatGLM3 by their tokenizer files, and notices the 32k variant', async () => {
    const { _name_or_path: _n, ...anonymous } = CHATGLM2_6B_CONFIG;
    const glm2 = await inspectModel(modelDir('glm2', { 'config.json': anonymous, 'tokenizer_config.json': { tokenizer_class: 'ChatGLMTokenizer' } }));
    expect(glm2.chatglmGeneration).toBe('chatglm2-6b');
    expect(glm2.needs.join(' ')).toMatch(/^needs import-chatglm/);
    expect(glm2.notes.join(' ')).toMatch(/long-context variant \(seq_length 32768\)/);
    expect(glm2.arch).toMatchObject({ kvHeads: 2, headDim: 128, ffn: 13696, vocab: 65024, mlp: 'gated' });
    const glm3 = await inspectModel(
      modelDir('glm3', { 'config.json': { ...anonymous, seq_length: 8192 }, 'tokenization_chatglm.py': 'role_special_tokens = ["<|system|>", "<|user|>", "<|assistant|>", "<|observation|>"]' }),
    );
    expect(glm3.chatglmGeneration).toBe('chatglm3-6b');
    expect(glm3.notes.join(' ')).not.toMatch(/long-context/);
  });

  it('gives a plain reason for bad directories', async () => {
    await expect(inspectModel(join(root, 'nope'))).rejects.toThrow(/cannot be read \(ENOENT\); check the path/);
    await expect(inspectModel(modelDir('gguf-only', { 'model.Q4_K_M.gguf': 'x' }))).rejects.toThrow(/no config\.json; it holds GGUF files/);
    await expect(inspectModel(modelDir('bad-json', { 'config.json': '{not json' }))).rejects.toThrow(ModelDirError);
    await expect(inspectModel(modelDir('no-layers', { 'config.json': { model_type: 'llama', hidden_size: 32 } }))).rejects.toThrow(/no layer count .*num_hidden_layers/);
  });

  it('notes when weights are PyTorch pickles and counts from the config', async () => {
    const info = await inspectModel(modelDir('bin-weights', { 'config.json': tinyLlamaConfig, 'pytorch_model.bin': 'pickle' }));
    expect(info.paramsSource).toBe('config');
    expect(info.params).toBe(TINY_LLAMA_PARAMS);
    expect(info.notes.join(' ')).toMatch(/pickles/);
    // The trainer refuses pickles: say what to do before a run is started.
    expect(info.needs.join(' ')).toMatch(/^needs convert-weights: .*python -m tunedesk convert-weights/);
  });

  it('asks ChatGLM-6B pickles to be converted, but not ChatGLM2/3 ones (import-chatglm reads .bin itself)', async () => {
    const glm1 = await inspectModel(modelDir('chatglm-6b-bin', { 'config.json': CHATGLM_6B_CONFIG, 'pytorch_model-00001-of-00008.bin': 'pickle' }));
    expect(glm1.needs.some((n) => n.startsWith('needs convert-weights'))).toBe(true);
    const { _name_or_path: _n, ...anonymous } = CHATGLM2_6B_CONFIG;
    const glm2 = await inspectModel(modelDir('glm2-bin', { 'config.json': anonymous, 'tokenizer_config.json': { tokenizer_class: 'ChatGLMTokenizer' }, 'pytorch_model.bin': 'pickle' }));
    expect(glm2.needs).toHaveLength(1);
    expect(glm2.needs[0]).toMatch(/^needs import-chatglm/);
  });
});

describe('config-only parameter counts match the published sizes', () => {
  it.each([
    ['Llama-3-8B', { model_type: 'llama', hidden_size: 4096, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: 8, intermediate_size: 14336, vocab_size: 128256, tie_word_embeddings: false }, 8_030_261_248],
    ['Qwen2.5-0.5B (tied)', { model_type: 'qwen2', hidden_size: 896, num_hidden_layers: 24, num_attention_heads: 14, num_key_value_heads: 2, intermediate_size: 4864, vocab_size: 151936, tie_word_embeddings: true }, 494_032_768],
    ['Qwen3-8B', { model_type: 'qwen3', hidden_size: 4096, num_hidden_layers: 36, num_attention_heads: 32, num_key_value_heads: 8, head_dim: 128, intermediate_size: 12288, vocab_size: 151936, tie_word_embeddings: false }, 8_190_735_360],
    ['GLM-4-9B (glm4)', { model_type: 'glm4', hidden_size: 4096, num_hidden_layers: 40, num_attention_heads: 32, num_key_value_heads: 2, head_dim: 128, intermediate_size: 13696, vocab_size: 151552, tie_word_embeddings: false, attention_bias: true }, 9_400_279_040],
  ])('%s', async (name, config, expected) => {
    const info = await inspectModel(modelDir(`cfg-${name.replace(/\W+/g, '-')}`, { 'config.json': config }));
    expect(info.params).toBe(expected);
    expect(info.notes.join(' ')).toMatch(/config-only/);
  });
});

describe('the embedded demo model, as the trainer writes it', () => {
  it('matches the parameter count torch reports, from headers and from the config alike', async () => {
    const { demoModel } = await import('../helpers/runs-helpers');
    const dir = await demoModel();
    const marker = JSON.parse(readFileSync(join(dir, 'tunedesk_demo.json'), 'utf8')) as { parameters: number };
    const info = await inspectModel(dir);
    expect(info).toMatchObject({ family: 'llama', paramsSource: 'safetensors', params: marker.parameters, dtype: 'float32', remoteCode: null });
    expect(info.notes).toEqual([]); // the config formula agrees with the weights
  });
});
