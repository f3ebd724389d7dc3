// What the machine bindings (hardware, models, recommend, presets) share: the disk whose free
// space they report, and the machine services' own errors as API errors that say what to fix.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { ModelDirError } from '../services/models/inspect-model';
import { GpuSelectionError } from '../services/recommend/machine-budget';
import { PresetError } from '../services/recommend/presets-store';
import { ApiError } from './api-error';
import type { ApiContext } from './context';

// Free disk space is reported for the disk the runs go to (the folder may not exist yet).
export const diskPathFor = (ctx: ApiContext) => [ctx.runsRoot, ctx.dataDir].find((p) => existsSync(p)) ?? homedir();

/** The machine services' own errors, as API errors that say what to fix. */
export function machineRefusal(error: unknown, field?: string): never {
  if (error instanceof ModelDirError) {
    throw new ApiError('model_dir', error.message, 'Choose the folder of a Hugging Face model (it holds config.json and the weights).', field);
  }
  if (error instanceof GpuSelectionError) throw new ApiError('invalid_request', error.message, 'Choose GPUs from the hardware report.', 'gpus');
  if (error instanceof PresetError) throw new ApiError('preset', error.message, 'Fix or remove the preset file named in the message.');
  throw error;
}
