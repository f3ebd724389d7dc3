// The embedded default run: the demo model (made by `python -m tunedesk demo-model` into the data
// folder the first time) and the demo-cpu preset's configuration, with paths made absolute.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Preset } from '../../shared/presets';
import { REPO_ROOT, runTrainerPython } from '../python-env/trainer-python';
import { resolveConfigPaths } from './run-config';
import type { TrainerConfig } from './run-files';

export const DEMO_PRESET_ID = 'demo-cpu';

/** Makes the demo model under `dataDir` unless it is already there; returns its directory. */
export async function ensureDemoModel(dataDir: string, onProgress: (line: string) => void = () => {}): Promise<string> {
  const dir = join(dataDir, 'demo-model');
  if (existsSync(join(dir, 'tunedesk_demo.json'))) return dir;
  onProgress(`making the demo model in ${dir} (once) ...`);
  const result = await runTrainerPython(['demo-model', '--out', dir, '--force', '--json'], { timeoutMs: 300_000 });
  if (result.exitCode !== 0) {
    const why = result.startError ?? (result.timedOut ? 'timed out after 5 minutes' : result.stderr.trim().split('\n').slice(-3).join(' / '));
    throw new Error(`could not make the demo model in ${dir}: ${why}. Check the trainer environment with: npx tunedesk doctor`);
  }
  return dir;
}

/**
 * A preset's configuration as a run configuration: its relative paths (resources/demo/...) made
 * absolute against the install root, and the model filled in — the demo model for demo presets,
 * the user's model otherwise.
 */
export function presetRunConfig(preset: Preset, model: string | undefined, extra: TrainerConfig = {}): TrainerConfig {
  const config: TrainerConfig = { ...resolveConfigPaths(preset.config, REPO_ROOT), ...extra };
  if (model) config.model_name_or_path = model;
  if (typeof config.model_name_or_path !== 'string') {
    throw new Error(`preset ${preset.id} needs a model: pass --model <local model folder>`);
  }
  if (typeof config.train_path !== 'string') {
    throw new Error(`preset ${preset.id} needs training data: pass --data <file> (JSON lines, as the original scripts read)`);
  }
  return config;
}
