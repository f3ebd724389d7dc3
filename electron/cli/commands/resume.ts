// `tunedesk resume <run-id> [--checkpoint <step>]`: continue a run from a complete checkpoint as a
// new run linked to its parent; the step count goes on. Changes that cannot apply are refused.
import { parseArgs } from 'node:util';
import { ResumeRefusedError } from '../../services/runs/resume-rules';
import { assertSafeRunId } from '../../services/runs/run-id';
import type { TrainerConfig } from '../../services/runs/run-files';
import { UsageError, type CliCommand } from '../command';
import { parseIndexList } from './machine-format';
import { cliRunsRoot, openRunManager } from './run-progress';
import { positiveInt, startAndReport } from './train';

const usage = `usage: tunedesk resume <run-id> [options]

Starts a new run that continues <run-id> from a complete checkpoint (default: the last one).

  --checkpoint STEP   resume from the checkpoint at this step
  --max-steps N       train up to step N in total (needed when the parent already reached its end)
  --set KEY=VALUE     change a trainer setting (repeatable), e.g. --set learning_rate=5e-5;
                      method, model and adapter shape cannot change (the reason is shown)
  --gpus 0,1          GPUs to use (default: the parent's)
  --runs-dir DIR      runs root
  --follow            show live progress until the run ends
  --json              machine-readable output`;

/** KEY=VALUE with JSON values where they parse (numbers, true/false), strings otherwise. */
export function parseSetting(text: string): [string, unknown] {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new UsageError(`--set takes KEY=VALUE, got "${text}"`);
  const key = text.slice(0, eq);
  const raw = text.slice(eq + 1);
  try {
    return [key, JSON.parse(raw)];
  } catch {
    return [key, raw];
  }
}

export const command: CliCommand = {
  summary: 'continue a run from a checkpoint as a new, linked run',
  usage,
  async run(argv) {
    let parsed;
    try {
      parsed = parseArgs({
        args: argv,
        allowPositionals: true,
        options: {
          checkpoint: { type: 'string' },
          'max-steps': { type: 'string' },
          set: { type: 'string', multiple: true },
          gpus: { type: 'string' },
          'runs-dir': { type: 'string' },
          follow: { type: 'boolean' },
          json: { type: 'boolean' },
        },
      });
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    const { values, positionals } = parsed;
    const [runId] = positionals;
    if (!runId || positionals.length !== 1) throw new UsageError('give the run id to resume');
    try {
      assertSafeRunId(runId);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    const step = values.checkpoint === undefined ? undefined : Number(values.checkpoint);
    if (step !== undefined && !Number.isInteger(step)) throw new UsageError(`--checkpoint takes a step number, got "${values.checkpoint}"`);
    const overrides: TrainerConfig = Object.fromEntries((values.set ?? []).map(parseSetting));
    const maxSteps = positiveInt(values['max-steps'], '--max-steps');
    if (maxSteps) overrides.max_steps = maxSteps;
    let gpus: number[] | undefined;
    try {
      gpus = values.gpus ? parseIndexList(values.gpus) : undefined;
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    const manager = await openRunManager(await cliRunsRoot(values['runs-dir']));
    try {
      return await startAndReport(
        manager,
        async () => {
          const { summary, plan } = await manager.resume(runId, { step, overrides, gpus, baseDir: process.cwd() });
          if (!values.json) {
            const from = step !== undefined ? `its checkpoint at step ${step}` : 'its last complete checkpoint';
            console.log(`resuming ${runId} from ${from}`);
            for (const c of plan.applied) console.log(`  change: ${c.key} ${JSON.stringify(c.from)} -> ${JSON.stringify(c.to)}`);
          }
          return summary;
        },
        { follow: Boolean(values.follow), json: Boolean(values.json) },
      );
    } catch (error) {
      await manager.close();
      if (error instanceof ResumeRefusedError || /no complete checkpoint|has no run.json/.test((error as Error).message)) {
        console.error(`✘ ${(error as Error).message}`);
        return 1;
      }
      throw error;
    }
  },
};
