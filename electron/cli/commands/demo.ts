// `tunedesk demo`: the embedded default, end to end and offline — make the demo model if missing,
// train it on the bundled demo data with the demo-cpu preset while showing progress, then say where
// the checkpoint is and how to try it.
import { parseArgs } from 'node:util';
import { hostFolders } from '../../api/host-folders';
import { loadPresets } from '../../services/recommend/presets-store';
import { DEMO_PRESET_ID, ensureDemoModel, presetRunConfig } from '../../services/runs/demo-setup';
import type { TrainerConfig } from '../../services/runs/run-files';
import { UsageError, type CliCommand } from '../command';
import { exitCodeFor, followRun, openRunManager, outcomeLines } from './run-progress';
import { positiveInt } from './train';

const usage = `usage: tunedesk demo [--max-steps N] [--runs-dir DIR]

Trains the small embedded demo model on the bundled demo data (preset ${DEMO_PRESET_ID}, CPU, no
download), shows live progress, and prints the checkpoint and the command to try it.`;

export const command: CliCommand = {
  summary: 'train the embedded demo model end to end (offline, CPU)',
  usage,
  async run(argv) {
    let values;
    try {
      ({ values } = parseArgs({ args: argv, options: { 'max-steps': { type: 'string' }, 'runs-dir': { type: 'string' } } }));
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    const folders = await hostFolders({ runsDir: values['runs-dir'] });
    const preset = (await loadPresets()).find((p) => p.id === DEMO_PRESET_ID);
    if (!preset) throw new Error(`the bundled preset ${DEMO_PRESET_ID} is missing from resources/presets`);
    const model = await ensureDemoModel(folders.dataDir, (line) => console.log(line));
    // A metric every step keeps the progress bar moving on a model this small.
    const extra: TrainerConfig = { show_loss_step: 1 };
    const maxSteps = positiveInt(values['max-steps'], '--max-steps');
    if (maxSteps) extra.max_steps = maxSteps;
    const manager = await openRunManager(folders.runsRoot);
    const started = await manager.start(presetRunConfig(preset, model, extra), { preset: preset.id, baseDir: process.cwd() });
    const runDir = manager.runDir(started.runId);
    console.log(`demo run ${started.runId}\n  model: ${model}\n  folder: ${runDir}`);
    const final = await followRun(manager, started.runId);
    console.log(outcomeLines(final, runDir).join('\n'));
    if (final.status === 'completed') {
      console.log(`\ntry it:\n  npx tunedesk try ${started.runId} "Translate to English: 猫"`);
    }
    await manager.close();
    return exitCodeFor(final);
  },
};
