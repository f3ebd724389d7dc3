// `tunedesk try <run-id | checkpoint dir | export dir | model dir> "prompt"`: ask the model one
// question and watch the answer stream in, laid out with the run's own prompt template.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CheckpointTargetError, resolveCheckpoint } from '../../services/export/export-service';
import { runPredict } from '../../services/predict/predict-service';
import { cliRunsRoot } from './run-progress';
import { UsageError, type CliCommand } from '../command';

const usage = `usage: tunedesk try <run-id | run dir | checkpoint dir | export dir | model dir> "prompt" [options]

Generates an answer and streams it as it comes. A run id or run directory means its newest
complete checkpoint. Greedy (deterministic) unless --sample.

options:
  --max-new-tokens N   answer length limit (default 128)
  --sample             sample instead of greedy (--temperature, --top-p)
  --temperature T      default 0.8
  --top-p P            default 0.9
  --mode MODE          prompt template override: glm | glm2 | glm3 | chat (default: the run's)
  --runs-dir DIR       runs root (default: $TUNEDESK_RUNS_DIR or the app's runs folder)`;

/** Model directories predict reads as they are; anything else is resolved as a run. */
export async function resolveModelTarget(target: string, runsRoot: string): Promise<string> {
  const path = resolve(target);
  if (['manifest.json', 'export.json', 'config.json'].some((f) => existsSync(join(path, f)))) return path;
  return (await resolveCheckpoint(target, runsRoot)).checkpointDir;
}

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        'max-new-tokens': { type: 'string' },
        sample: { type: 'boolean' },
        temperature: { type: 'string' },
        'top-p': { type: 'string' },
        mode: { type: 'string' },
        'runs-dir': { type: 'string' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function numberOption(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${name} must be a positive number, got "${value}"`);
  return n;
}

export const command: CliCommand = {
  summary: 'ask a checkpoint, export or model one question (answer streams in)',
  usage,
  async run(argv) {
    const { values, positionals } = parse(argv);
    if (positionals.length !== 2) throw new UsageError('give a run id or model directory, then the prompt in quotes');
    const [target, prompt] = positionals as [string, string];
    // The same runs root as train/runs/demo: --runs-dir, TUNEDESK_RUNS_DIR, the saved setting, the default.
    const runsRoot = await cliRunsRoot(values['runs-dir']);
    let model: string;
    try {
      model = await resolveModelTarget(target, runsRoot);
    } catch (error) {
      if (error instanceof CheckpointTargetError) {
        console.error(`✘ ${error.message}`);
        return 1;
      }
      throw error;
    }
    const maxNewTokens = numberOption(values['max-new-tokens'], '--max-new-tokens');
    const temperature = numberOption(values.temperature, '--temperature');
    const topP = numberOption(values['top-p'], '--top-p');
    console.error(`model: ${model}\n`);
    const controller = new AbortController();
    const onSigint = () => controller.abort();
    process.once('SIGINT', onSigint);
    try {
      const outcome = await runPredict(
        {
          model,
          prompt,
          greedy: !values.sample,
          ...(maxNewTokens !== undefined ? { maxNewTokens } : {}),
          ...(temperature !== undefined ? { temperature } : {}),
          ...(topP !== undefined ? { topP } : {}),
          ...(values.mode ? { mode: values.mode } : {}),
        },
        { signal: controller.signal, onToken: (text) => process.stdout.write(text) },
      );
      process.stdout.write('\n');
      if (outcome.status === 'completed' && !outcome.text) console.error('(empty answer: the model ended its answer at once)');
      if (outcome.status === 'completed') return 0;
      if (outcome.status === 'cancelled') return 130;
      console.error(`✘ ${outcome.error.message}${outcome.error.hint ? `\n  → ${outcome.error.hint}` : ''}`);
      return 1;
    } finally {
      process.off('SIGINT', onSigint);
    }
  },
};
