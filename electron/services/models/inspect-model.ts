// A local model directory -> ModelInfo. Reads config.json, the safetensors headers and the
// tokenizer files' text; never the tensors and never the model's own Python (auto_map).
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelInfo } from '../../shared/contract/models';
import { chatglmGeneration, chatglmNeeds } from './chatglm-generation';
import { archFromConfig, ConfigError, type RawConfig } from './config-arch';
import { safetensorsFiles, summarizeSafetensors } from './safetensors-header';

/** The directory cannot be inspected; the message says why and what to do. */
export class ModelDirError extends Error {}

/** How the need for a safetensors copy of pickle-only weights starts (the app's convert call checks it). */
export const CONVERT_WEIGHTS_NEED = 'needs convert-weights';

const DTYPE_NAMES: Record<string, string> = { F16: 'float16', BF16: 'bfloat16', F32: 'float32', F64: 'float64', I8: 'int8', U8: 'uint8' };

async function sizeOnDisk(dir: string, entries: string[]): Promise<number> {
  let total = 0;
  for (const entry of entries) {
    try {
      const info = await stat(join(dir, entry));
      if (info.isFile()) total += info.size;
    } catch {
      // a file vanished while we looked: it no longer takes space
    }
  }
  return total;
}

async function readConfig(dir: string, entries: string[]): Promise<RawConfig> {
  const file = join(dir, 'config.json');
  if (!entries.includes('config.json')) {
    const hint = entries.some((e) => e.endsWith('.gguf'))
      ? 'it holds GGUF files, which are for inference; choose the original Hugging Face model directory'
      : 'choose the folder that contains config.json (a Hugging Face model directory)';
    throw new ModelDirError(`${dir}: no config.json; ${hint}`);
  }
  try {
    const parsed: unknown = JSON.parse(await readFile(file, 'utf8'));
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
    return parsed as RawConfig;
  } catch (error) {
    throw new ModelDirError(`${file}: not a valid JSON object (${(error as Error).message}); re-download the model`);
  }
}

/** Inspects `dir`. Throws ModelDirError with a plain-words reason for bad or partial directories. */
export async function inspectModel(dir: string): Promise<ModelInfo> {
  let entries: string[];
  try {
    entries = (await readdir(dir)).sort();
  } catch (error) {
    throw new ModelDirError(`${dir}: cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}); check the path`);
  }
  const config = await readConfig(dir, entries);
  let fromConfig;
  try {
    fromConfig = archFromConfig(config, join(dir, 'config.json'));
  } catch (error) {
    if (error instanceof ConfigError) throw new ModelDirError(error.message);
    throw error;
  }
  const notes: string[] = [];
  const needs: string[] = [];
  const arch = { ...fromConfig.arch };
  let params = fromConfig.params;
  let paramsSource: ModelInfo['paramsSource'] = 'config';
  let dtype = typeof config.torch_dtype === 'string' ? config.torch_dtype : typeof config.dtype === 'string' ? config.dtype : null;

  let weightFiles: string[] = [];
  try {
    weightFiles = await safetensorsFiles(dir, entries);
  } catch (error) {
    throw new ModelDirError((error as Error).message);
  }
  if (weightFiles.length > 0) {
    let summary;
    try {
      summary = await summarizeSafetensors(weightFiles);
    } catch (error) {
      throw new ModelDirError((error as Error).message);
    }
    params = summary.params;
    paramsSource = 'safetensors';
    const main = Object.entries(summary.paramsByDtype).sort((a, b) => b[1] - a[1])[0];
    if (main) dtype = DTYPE_NAMES[main[0]] ?? main[0].toLowerCase();
    // Tied embeddings: the checkpoint has no separate output matrix.
    if (config.tie_word_embeddings === undefined && fromConfig.family !== 'chatglm') {
      arch.tiedEmbeddings = !summary.tensorNames.some((n) => n.endsWith('lm_head.weight'));
    }
    const formulaGap = Math.abs(fromConfig.params - params) / Math.max(params, 1);
    if (formulaGap > 0.02) {
      notes.push(`config formula gives ${fromConfig.params.toLocaleString('en')} parameters, the weights hold ${params.toLocaleString('en')}: the weights win`);
    }
  } else if (entries.some((e) => e.endsWith('.bin') || e.endsWith('.pt'))) {
    notes.push('weights are PyTorch pickles (.bin), whose headers are not read: parameter count from the config formula');
  } else {
    notes.push('no weight files: parameter count from the config formula (config-only directory)');
  }

  const autoMap = config.auto_map;
  const remoteCode =
    autoMap && typeof autoMap === 'object' && !Array.isArray(autoMap)
      ? Object.fromEntries(Object.entries(autoMap as Record<string, unknown>).map(([k, v]) => [k, Array.isArray(v) ? v.filter(Boolean).join(', ') : String(v)]))
      : null;
  if (remoteCode) notes.push(`asks for remote code (${Object.values(remoteCode).join('; ')}): reported, never executed`);

  let generation: ModelInfo['chatglmGeneration'] = null;
  if (config.model_type === 'chatglm') {
    generation = await chatglmGeneration(dir, config, entries);
    needs.push(...chatglmNeeds(generation));
    if (arch.maxPositions && arch.maxPositions >= 32768) notes.push(`long-context variant (seq_length ${arch.maxPositions})`);
  }
  // Only pickles: the trainer refuses them (loading a pickle can run code). ChatGLM2/3 need not
  // convert first: import-chatglm reads their .bin shards tensors-only itself.
  const onlyPickles = weightFiles.length === 0 && entries.some((e) => e.endsWith('.bin') || e.endsWith('.pt'));
  if (onlyPickles && !needs.some((n) => n.startsWith('needs import-chatglm'))) {
    needs.push(`${CONVERT_WEIGHTS_NEED}: the weights are pickle files (.bin), which TuneDesk does not load; write a safetensors copy beside them once with \`python -m tunedesk convert-weights <dir>\` (it reads tensors only, no code runs)`);
  }
  const architectures = Array.isArray(config.architectures) ? config.architectures.filter((a) => typeof a === 'string') : [];
  return {
    dir,
    family: fromConfig.family,
    modelType: typeof config.model_type === 'string' ? config.model_type : null,
    architecture: (architectures[0] as string | undefined) ?? null,
    chatglmGeneration: generation,
    params,
    paramsSource,
    arch,
    dtype,
    sizeOnDiskBytes: await sizeOnDisk(dir, entries),
    weightFiles: weightFiles.map((f) => f.slice(dir.length + 1)),
    remoteCode,
    needs,
    notes,
  };
}
