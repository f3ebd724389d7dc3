// Which ChatGLM generation a `model_type: chatglm` directory holds. The three share a model_type
// but not a layout: ChatGLM-6B (GLM-130B style, 2D positions, icetk tokenizer) only runs in its
// legacy environment; ChatGLM2-6B and ChatGLM3-6B (multi-query attention, RoPE) are converted to
// the native transformers `glm` layout by `python -m tunedesk import-chatglm`.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ChatglmGeneration } from '../../shared/contract/models';
import type { RawConfig } from './config-arch';

// ChatGLM3's tokenizer adds role tokens that ChatGLM2's lacks.
const CHATGLM3_TOKENS = ['<|observation|>', '<|user|>', '<|assistant|>', '<|system|>'];
const TOKENIZER_FILES = ['tokenizer_config.json', 'tokenization_chatglm.py', 'tokenizer.json', 'special_tokens_map.json'];

async function readIfPresent(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return '';
  }
}

/** Decides the generation from config.json, then the tokenizer files when config cannot tell. */
export async function chatglmGeneration(dir: string, config: RawConfig, entries: string[]): Promise<ChatglmGeneration> {
  // First generation: no multi-query attention, 2D position encoding, vocab_size 130528/150528.
  if (config.multi_query_attention !== true && config.padded_vocab_size === undefined) return 'chatglm-6b';
  const name = String(config._name_or_path ?? '').toLowerCase();
  if (name.includes('chatglm3')) return 'chatglm3-6b';
  if (name.includes('chatglm2')) return 'chatglm2-6b';
  for (const file of TOKENIZER_FILES.filter((f) => entries.includes(f))) {
    const text = await readIfPresent(join(dir, file));
    if (CHATGLM3_TOKENS.some((token) => text.includes(token))) return 'chatglm3-6b';
  }
  return 'chatglm2-6b';
}

/** What the user must do before training each generation, in TuneDesk's words. */
export function chatglmNeeds(generation: ChatglmGeneration): string[] {
  if (generation === 'chatglm-6b') {
    return [
      'legacy environment: ChatGLM-6B (first generation) runs only with its own remote code on transformers 4.27-4.33; after you agree to run those files (`python -m tunedesk legacy-env --model <dir> --create --i-agree-to-run <dir>`, needs internet access once), runs use that environment by themselves',
    ];
  }
  return ['needs import-chatglm: convert it once with `python -m tunedesk import-chatglm <dir> --out <new dir>` to the native transformers glm layout'];
}
