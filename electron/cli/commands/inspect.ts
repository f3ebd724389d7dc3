// `tunedesk inspect <model-dir> [--json]`: family, exact size and layout of a local model.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { modelInfoSchema, type ModelInfo } from '../../shared/contract/models';
import { inspectModel, ModelDirError } from '../../services/models/inspect-model';
import { UsageError, type CliCommand } from '../command';
import { gib, table } from './machine-format';

const usage = `usage: tunedesk inspect <model-dir> [--json]

Reads config.json and the safetensors headers (never the tensors, never the model's own code) and
prints the family, the exact parameter count, the layout and what the model needs before training.`;

export function renderModel(info: ModelInfo): string {
  const a = info.arch;
  const rows = [
    ['directory', info.dir],
    ['family', `${info.family}${info.chatglmGeneration ? ` (${info.chatglmGeneration})` : ''}${info.architecture ? `, ${info.architecture}` : ''}`],
    ['parameters', `${info.params.toLocaleString('en')} (${(info.params / 1e9).toFixed(2)}B, from ${info.paramsSource === 'safetensors' ? 'the safetensors headers' : 'the config formula'})`],
    ['layout', `${a.layers} layers, hidden ${a.hidden}, ${a.heads} heads (${a.kvHeads} KV, head dim ${a.headDim}), FFN ${a.ffn} (${a.mlp}), vocabulary ${a.vocab}`],
    ['embeddings', a.tiedEmbeddings ? 'tied (one matrix for input and output)' : 'separate input and output matrices'],
    ['max positions', a.maxPositions === null ? '?' : String(a.maxPositions)],
    ['dtype', info.dtype ?? '?'],
    ['size on disk', gib(info.sizeOnDiskBytes)],
    ['weight files', info.weightFiles.length ? `${info.weightFiles.length} safetensors file(s)` : 'none'],
    ['remote code', info.remoteCode ? `yes: ${Object.entries(info.remoteCode).map(([k, v]) => `${k} -> ${v}`).join('; ')} (never executed)` : 'no'],
    ...info.needs.map((n) => ['needs', n]),
    ...info.notes.map((n) => ['note', n]),
  ];
  return table(['', ''], rows).split('\n').slice(2).join('\n');
}

export const command: CliCommand = {
  summary: 'inspect a local model directory',
  usage,
  async run(argv) {
    let parsed;
    try {
      parsed = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: 'boolean' } } });
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    const [dir, ...extra] = parsed.positionals;
    if (!dir || extra.length) throw new UsageError('give exactly one model directory');
    try {
      const info = await inspectModel(resolve(dir));
      console.log(parsed.values.json ? JSON.stringify(modelInfoSchema.parse(info), null, 2) : renderModel(info));
      return 0;
    } catch (error) {
      if (error instanceof ModelDirError) {
        console.error(`cannot inspect: ${error.message}`);
        return 1;
      }
      throw error;
    }
  },
};
