// Turning a user's configuration (a preset or a --config file, in the trainer's flag names) into
// the run.json of one run. The trainer runs with the run directory as its cwd, so relative paths
// are made absolute here, against the place they were written relative to.
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { forMethod } from '../../shared/trainer-flags';
import type { TrainerConfig } from './run-files';

/** Config keys that hold file or directory paths. */
export const PATH_KEYS = ['train_path', 'eval_path', 'model_name_or_path', 'ds_file', 'resume_from'] as const;

/**
 * Relative paths that exist under `baseDir` become absolute. Others stay as written: the trainer
 * maps the original scripts' bare DeepSpeed file names (ds_zero2_no_offload.json) to its bundled
 * ones, and reports a path that does not exist with a clear error of its own.
 */
export function resolveConfigPaths(config: TrainerConfig, baseDir: string): TrainerConfig {
  const out: TrainerConfig = { ...config };
  for (const key of PATH_KEYS) {
    const value = out[key];
    if (typeof value !== 'string' || value === '' || isAbsolute(value)) continue;
    const candidate = resolve(baseDir, value);
    if (existsSync(candidate)) out[key] = candidate;
  }
  return out;
}

/** Keys the run manager owns in run.json; a user's value for them is replaced. */
export const MANAGED_KEYS = ['output_dir', 'local_rank'] as const;

/**
 * The run.json of a new run: paths resolved against `baseDir`, the flags of other methods left out
 * (the trainer's own list, resources/trainer-flags.json), output_dir the run's folder, and no
 * local_rank (the DeepSpeed launcher sets it per rank).
 */
export function runJsonConfig(config: TrainerConfig, runDir: string, baseDir: string): TrainerConfig {
  const { local_rank: _rank, ...out } = forMethod(resolveConfigPaths(config, baseDir));
  return { ...out, output_dir: runDir };
}
