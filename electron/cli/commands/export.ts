// `tunedesk export <run-id | run dir | checkpoint dir>`: a merged, verified export with a
// progress bar. The trainer does the work; this prints what it reports.
import { parseArgs } from 'node:util';
import { EXPORT_DTYPES, EXPORT_FORMATS, GGUF_QUANTS, CheckpointTargetError, resolveCheckpoint, runExport, type ExportDtype, type ExportFormat, type ExportOutcome } from '../../services/export/export-service';
import { cliRunsRoot } from './run-progress';
import { UsageError, type CliCommand } from '../command';

const usage = `usage: tunedesk export <run-id | run dir | checkpoint dir> [options]

Merges the checkpoint into its base model (LoRA, Freeze, full) or bundles the prefix (P-Tuning),
writes a clean model directory, and verifies it against the training-time model before calling
it done. A run id or run directory means its newest complete checkpoint.

options:
  --out DIR            target directory (default: <run>/exports/<step>-<format>-<dtype>)
  --dtype TYPE         fp32 | fp16 | bf16 (default: fp32 for hf, fp16 for gguf)
  --format FORMAT      hf (Hugging Face safetensors, default) | gguf (llama.cpp / Ollama: also
                       writes an Ollama Modelfile and prints its \`ollama create\` command)
  --quant TYPE         GGUF quantisation: q8_0 | q5_0 | q4_0 (implies --format gguf)
  --max-shard-size S   safetensors shard size, e.g. 2GB (hf)
  --force              replace a non-empty target directory
  --runs-dir DIR       runs root (default: $TUNEDESK_RUNS_DIR or the app's runs folder)`;

const BAR_WIDTH = 30;

/** One line: [#####.....]  42% write */
export function renderBar(fraction: number, stage: string, width = BAR_WIDTH): string {
  const clamped = Math.min(1, Math.max(0, fraction));
  const filled = Math.round(clamped * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.round(clamped * 100)).padStart(3)}% ${stage}`;
}

const num = (v: unknown) => (typeof v === 'number' ? v.toPrecision(3) : '?');

/** What the user reads at the end: where the export is and how it was verified, or why not. */
export function describeOutcome(outcome: ExportOutcome): string {
  if (outcome.status === 'cancelled') return 'export cancelled; nothing was written to the target';
  const v = outcome.verification ?? {};
  const measured = `max |Δlogit| ${num(v.max_abs_logit_diff)} (tolerance ${num(v.tolerance)}) on ${String(v.samples ?? '?')} samples from ${String(v.samples_source ?? '?')}`;
  if (outcome.status === 'completed') return `✔ exported to ${outcome.out}\n  verified: ${measured}`;
  const lines = [`✘ export failed (${outcome.error.kind}): ${outcome.error.message}`];
  if (outcome.error.hint) lines.push(`  → ${outcome.error.hint}`);
  if (outcome.verification) lines.push(`  measured: ${measured}`);
  return lines.join('\n');
}

/** --quant is the GGUF spelling of --dtype: it implies --format gguf and refuses hf or a second dtype. */
export function quantChoice(values: { dtype?: string; quant?: string; format?: string }): { dtype?: ExportDtype; format?: ExportFormat } {
  const format = values.format as ExportFormat | undefined;
  if (values.quant === undefined) return { dtype: values.dtype as ExportDtype | undefined, format };
  if (!(GGUF_QUANTS as readonly string[]).includes(values.quant)) throw new UsageError(`--quant must be one of ${GGUF_QUANTS.join(', ')}`);
  if (values.dtype !== undefined) throw new UsageError('give --quant or --dtype, not both');
  if (format === 'hf') throw new UsageError('--quant is for --format gguf; Hugging Face exports take --dtype fp32 | fp16 | bf16');
  return { dtype: values.quant as ExportDtype, format: 'gguf' };
}

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        out: { type: 'string' },
        dtype: { type: 'string' },
        quant: { type: 'string' },
        format: { type: 'string' },
        'max-shard-size': { type: 'string' },
        force: { type: 'boolean' },
        'runs-dir': { type: 'string' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

export const command: CliCommand = {
  summary: 'export a checkpoint as a merged, verified model (hf or gguf)',
  usage,
  async run(argv) {
    const { values, positionals } = parse(argv);
    if (positionals.length !== 1) throw new UsageError('give exactly one run id, run directory or checkpoint directory');
    if (values.dtype && !(EXPORT_DTYPES as readonly string[]).includes(values.dtype)) throw new UsageError(`--dtype must be one of ${EXPORT_DTYPES.join(', ')}`);
    if (values.format && !(EXPORT_FORMATS as readonly string[]).includes(values.format)) throw new UsageError(`--format must be one of ${EXPORT_FORMATS.join(', ')}`);
    const { dtype, format } = quantChoice(values);
    // The same runs root as train/runs/demo: --runs-dir, TUNEDESK_RUNS_DIR, the saved setting, the default.
    const runsRoot = await cliRunsRoot(values['runs-dir']);
    let checkpointDir: string;
    try {
      ({ checkpointDir } = await resolveCheckpoint(positionals[0] ?? '', runsRoot));
    } catch (error) {
      if (error instanceof CheckpointTargetError) {
        console.error(`✘ ${error.message}`);
        return 1;
      }
      throw error;
    }
    console.error(`exporting ${checkpointDir}`);
    const controller = new AbortController();
    const onSigint = () => controller.abort();
    process.once('SIGINT', onSigint);
    const tty = Boolean(process.stderr.isTTY);
    let lastStage = '';
    try {
      const outcome = await runExport(
        {
          checkpoint: checkpointDir,
          ...(values.out ? { out: values.out } : {}),
          ...(dtype ? { dtype } : {}),
          ...(format ? { format } : {}),
          ...(values['max-shard-size'] ? { maxShardSize: values['max-shard-size'] } : {}),
          ...(values.force ? { force: true } : {}),
        },
        {
          signal: controller.signal,
          onProgress({ stage, fraction }) {
            if (tty) process.stderr.write(`\r${renderBar(fraction, stage)}\x1b[K`);
            else if (stage !== lastStage) process.stderr.write(`${renderBar(fraction, stage)}\n`);
            lastStage = stage;
          },
          onMessage(message) {
            process.stderr.write(`${tty ? '\n' : ''}note: ${message}\n`);
          },
        },
      );
      if (tty) process.stderr.write('\n');
      (outcome.status === 'completed' ? console.log : console.error)(describeOutcome(outcome));
      return outcome.status === 'completed' ? 0 : outcome.status === 'cancelled' ? 130 : 1;
    } finally {
      process.off('SIGINT', onSigint);
    }
  },
};
