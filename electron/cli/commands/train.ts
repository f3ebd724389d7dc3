// `tunedesk train --preset <id> | --config <file>`: start a run (queued while another run holds
// the same GPUs), print its id, and with --follow watch it to the end. A ChatGLM-6B model runs with
// its legacy environment's python, and is refused here (what, which files, what to do) without consent.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { hostFolders } from '../../api/host-folders';
import { loadPresets } from '../../services/recommend/presets-store';
import { trainerPythonPath } from '../../services/python-env/trainer-python';
import { ensureDemoModel, presetRunConfig } from '../../services/runs/demo-setup';
import { chooseTrainerPython, refusalLines } from '../../services/legacy-chatglm/trainer-interpreter';
import { resolveConfigPaths } from '../../services/runs/run-config';
import type { TrainerConfig } from '../../services/runs/run-files';
import type { RunManager } from '../../services/runs/run-manager';
import { UsageError, type CliCommand } from '../command';
import { parseIndexList } from './machine-format';
import { cliRunsRoot, exitCodeFor, followRun, openRunManager, outcomeLines } from './run-progress';

const usage = `usage: tunedesk train (--preset <id> | --config <file>) [options]

Starts a training run under the runs root and prints its run id. The run goes on when this
command ends; follow it in the app, with --follow, or stop it with \`tunedesk stop <id>\`.

  --preset ID        a bundled preset (see \`tunedesk presets\`); demo presets use the demo model
  --config FILE      a JSON file of trainer settings (flag names of \`python -m tunedesk train --help\`),
                     e.g. the run.json of an earlier run; relative paths are from the current folder
  --model DIR        the model to train (required by presets meant for your own model)
  --data FILE        training data (overrides the preset's or config's train_path)
  --max-steps N      stop after N optimizer steps
  --gpus 0,1         GPUs to use; several go through the DeepSpeed launcher
  --runs-dir DIR     runs root (default: $TUNEDESK_RUNS_DIR, the app's setting, or the data folder)
  --follow           show live progress (loss, tokens/s, ETA) until the run ends; Ctrl+C detaches
  --json             print {"runId", "runDir", "status"} instead of text

ChatGLM-6B (first generation) trains in its legacy environment (python-runtime/.venv-legacy-chatglm,
or $TUNEDESK_LEGACY_CHATGLM_ENV) once you agreed to run its own Python files:
  python -m tunedesk legacy-env --model <dir> --create --i-agree-to-run <dir>
Without that consent, or after one of those files changed, train refuses and lists the files.`;

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      options: {
        preset: { type: 'string' },
        config: { type: 'string' },
        model: { type: 'string' },
        data: { type: 'string' },
        'max-steps': { type: 'string' },
        gpus: { type: 'string' },
        'runs-dir': { type: 'string' },
        follow: { type: 'boolean' },
        json: { type: 'boolean' },
      },
    }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

export async function readConfigFile(path: string): Promise<TrainerConfig> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    throw new UsageError(e.code === 'ENOENT' ? `--config ${path}: no such file` : `--config ${path}: not valid JSON (${e.message})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new UsageError(`--config ${path}: expected a JSON object of trainer settings`);
  const { output_dir: _out, ...config } = raw as TrainerConfig; // every run gets its own folder
  return config;
}

export function positiveInt(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new UsageError(`${name} must be a whole number >= 1, got "${value}"`);
  return Number(value);
}

/** Starts, then either follows to the end or waits only until the run has left the queue. */
export async function startAndReport(
  manager: RunManager,
  start: () => Promise<{ runId: string }>,
  options: { follow: boolean; json: boolean },
): Promise<number> {
  const { runId } = await start();
  const runDir = manager.runDir(runId);
  if (!options.json) console.log(`run ${runId}\n  folder: ${runDir}`);
  if (!options.follow && manager.get(runId)?.status === 'queued') {
    // The queue lives in this process: wait here until the run starts. Ctrl+C withdraws it.
    console.error('queued behind a run on the same GPUs; waiting for them to be free (Ctrl+C withdraws this run)');
    const started = await new Promise<boolean>((resolve) => {
      const onSigint = () => resolve(false);
      process.once('SIGINT', onSigint);
      const off = manager.subscribe(runId, (u) => {
        if (u.summary.status === 'queued') return;
        off();
        process.removeListener('SIGINT', onSigint);
        resolve(true);
      });
    });
    if (!started) {
      await manager.stop(runId);
      console.error(`run ${runId} withdrawn from the queue`);
      await manager.close();
      return 3;
    }
  }
  if (!options.follow) {
    const s = manager.get(runId)!;
    if (options.json) console.log(JSON.stringify({ runId, runDir, status: s.status }));
    else console.log(`  status: ${s.status}\n  follow: npx tunedesk runs show ${runId}    stop: npx tunedesk stop ${runId}`);
    await manager.close();
    return 0;
  }
  const final = await followRun(manager, runId);
  if (options.json) console.log(JSON.stringify({ runId, runDir, status: final.status, summary: final }));
  else console.log(outcomeLines(final, runDir).join('\n'));
  await manager.close();
  return exitCodeFor(final);
}

export const command: CliCommand = {
  summary: 'start a training run from a preset or a config file',
  usage,
  async run(argv) {
    const values = parse(argv);
    if (Boolean(values.preset) === Boolean(values.config)) throw new UsageError('give exactly one of --preset or --config');
    const maxSteps = positiveInt(values['max-steps'], '--max-steps');
    let gpus: number[] | undefined;
    try {
      gpus = values.gpus ? parseIndexList(values.gpus) : undefined;
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    const extra: TrainerConfig = {};
    if (values.data) extra.train_path = resolve(values.data);
    if (maxSteps) extra.max_steps = maxSteps;
    if (values.model) extra.model_name_or_path = resolve(values.model);

    let config: TrainerConfig;
    let preset: string | undefined;
    if (values.preset) {
      const found = (await loadPresets()).find((p) => p.id === values.preset);
      if (!found) throw new UsageError(`no preset "${values.preset}" (list them with: npx tunedesk presets)`);
      preset = found.id;
      const model = values.model ? resolve(values.model) : found.model === 'demo' ? await ensureDemoModel((await hostFolders()).dataDir, console.error) : undefined;
      try {
        config = presetRunConfig(found, model, extra);
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
    } else {
      config = { ...(await readConfigFile(resolve(values.config!))), ...extra };
    }
    // ChatGLM-6B: refuse here, before a run folder exists, when its consent or environment is missing.
    const choice = await chooseTrainerPython(resolveConfigPaths(config, process.cwd()), trainerPythonPath());
    if (choice.refusal) {
      console.error(refusalLines(choice.refusal).join('\n'));
      return 1;
    }
    if (choice.legacy) console.error(`ChatGLM-6B: the trainer runs in its legacy environment (${choice.python}), by your recorded consent`);
    const manager = await openRunManager(await cliRunsRoot(values['runs-dir']));
    return startAndReport(manager, () => manager.start(config, { gpus, preset, baseDir: process.cwd() }), {
      follow: Boolean(values.follow),
      json: Boolean(values.json),
    });
  },
};
