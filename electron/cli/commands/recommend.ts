// `tunedesk recommend --model DIR [--max-len N] [--batch N] [--gpus 0,1] [--json]`: every method
// ranked for this machine, with the memory breakdown.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { recommendationSchema, type Recommendation } from '../../shared/contract/recommend';
import { GpuSelectionError } from '../../services/recommend/machine-budget';
import { recommendForModel } from '../../services/recommend/recommend-service';
import { ModelDirError } from '../../services/models/inspect-model';
import { UsageError, type CliCommand } from '../command';
import { gib, parseIndexList, section, table } from './machine-format';

const usage = `usage: tunedesk recommend --model DIR [options]

Ranks every tuning method for the model on this machine: fits / tight (over 80% of free memory) /
does not fit / unavailable (engine missing), best first, with the per-GPU memory breakdown.

options:
  --model DIR      a local Hugging Face model directory (required)
  --max-len N      sequence length (default 1024)
  --batch N        micro-batch per GPU (default 1)
  --gpus 0,1       nvidia-smi indices to use (default: all)
  --dtype T        fp16 | bf16 | fp32 (default: bf16 on GPUs, fp32 on CPU)
  --skip-trainer   do not ask the trainer environment which engines it has (assumes torch only)
  --json           print the recommendation as JSON`;

const VERDICT: Record<string, string> = { fits: 'fits', tight: 'tight', 'does-not-fit': 'no', unavailable: 'n/a' };

export function renderRecommendation(r: Recommendation, modelLine: string): string {
  const out: string[] = [];
  const budget = r.device === 'cuda' ? `${r.gpuCount} GPU(s), ${gib(r.budgetBytes)} free per GPU` : r.device === 'mps' ? `Apple GPU, ${gib(r.budgetBytes)} of unified memory` : `CPU only, ${gib(r.budgetBytes)} RAM available`;
  out.push(`${modelLine}\non ${budget}\n`);
  const rows = r.rows.map((row, i) => {
    const b = row.estimate.breakdown;
    return [
      String(i + 1), `${row.planId === r.best ? '* ' : ''}${row.label}`, VERDICT[row.verdict] ?? row.verdict, gib(row.estimate.perGpuBytes),
      [b.weights, b.gradients, b.optimizer, b.activations, b.logits, b.overhead].map((v) => (v / 1024 ** 3).toFixed(1)).join(' / '),
      row.settings.zeroStage ? `ZeRO-${row.settings.zeroStage}${row.settings.offloadOptimizer ? '+off' : ''}` : row.estimate.engine,
    ];
  });
  out.push(section('Plans (GiB per GPU: weights / grads / optimizer / activations / logits / overhead)', table(['#', 'plan', 'fit', 'peak', 'breakdown', 'engine'], rows)));
  // Needs every runnable plan shares (convert the model, set up the trainer) are said once.
  const runnable = r.rows.filter((row) => row.verdict !== 'unavailable');
  const common = (runnable[0]?.needs ?? []).filter((n) => runnable.every((row) => row.needs.includes(n)));
  if (common.length) out.push(section('Before training', common.map((n) => `- ${n}`).join('\n')));
  const details = r.rows.map((row) => [`${row.label}: ${row.reason}`, ...row.needs.filter((n) => !common.includes(n)).map((n) => `    needs: ${n}`)].join('\n'));
  out.push(section('Why', details.join('\n')));
  if (r.presets.length) out.push(section('Presets', table(['preset', 'fit', 'why'], r.presets.map((p) => [p.id, VERDICT[p.verdict] ?? p.verdict, p.reason]))));
  out.push(r.best ? `Best: ${r.rows.find((row) => row.planId === r.best)?.label}` : 'Best: none fits with margin');
  for (const w of r.warnings) out.push(`! ${w}`);
  return out.join('\n');
}

function positiveInt(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${name} takes a positive whole number (got "${text}")`);
  return n;
}

export const command: CliCommand = {
  summary: 'rank tuning methods for a model on this machine',
  usage,
  async run(argv) {
    let values;
    try {
      ({ values } = parseArgs({
        args: argv,
        options: {
          model: { type: 'string' }, 'max-len': { type: 'string' }, batch: { type: 'string' }, gpus: { type: 'string' }, dtype: { type: 'string' },
          'skip-trainer': { type: 'boolean' }, json: { type: 'boolean' },
        },
      }));
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    if (!values.model) throw new UsageError('--model DIR is required');
    if (values.dtype !== undefined && !['fp16', 'bf16', 'fp32'].includes(values.dtype)) throw new UsageError(`--dtype is fp16, bf16 or fp32 (got "${values.dtype}")`);
    let gpus: number[] | undefined;
    try {
      gpus = values.gpus === undefined ? undefined : parseIndexList(values.gpus);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    try {
      const { recommendation, model } = await recommendForModel(
        { modelDir: resolve(values.model), maxLen: positiveInt('--max-len', values['max-len'], 1024), microBatch: positiveInt('--batch', values.batch, 1), gpus, dtype: values.dtype as 'fp16' | 'bf16' | 'fp32' | undefined },
        { reportOptions: { skipTrainer: values['skip-trainer'] } },
      );
      if (values.json) console.log(JSON.stringify(recommendationSchema.parse(recommendation), null, 2));
      else console.log(renderRecommendation(recommendation, `${model.family} model, ${(model.params / 1e9).toFixed(2)}B parameters (${model.dir})`));
      return 0;
    } catch (error) {
      if (error instanceof ModelDirError || error instanceof GpuSelectionError) {
        console.error(`cannot recommend: ${error.message}`);
        return 1;
      }
      throw error;
    }
  },
};
