// Bindings for the machine engineer's contracts: hardware, models, estimator, recommend, presets.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { estimate } from '../services/estimator/estimate';
import { hardwareReport } from '../services/hardware/hardware-report';
import { ModelDirError, inspectModel } from '../services/models/inspect-model';
import { GpuSelectionError } from '../services/recommend/machine-budget';
import { loadPresets, PresetError } from '../services/recommend/presets-store';
import { recommendForModel } from '../services/recommend/recommend-service';
import { ApiError } from './api-error';
import type { ApiContext } from './context';
import type { HandlerMap } from './handler-types';

type MachineCall = 'hardware.report' | 'models.inspect' | 'estimator.estimate' | 'recommend.plan' | 'presets.list';

// Free disk space is reported for the disk the runs go to (the folder may not exist yet).
const diskPathFor = (ctx: ApiContext) => [ctx.runsRoot, ctx.dataDir].find((p) => existsSync(p)) ?? homedir();

/** The machine services' own errors, as API errors that say what to fix. */
function translate(error: unknown, field?: string): never {
  if (error instanceof ModelDirError) {
    throw new ApiError('model_dir', error.message, 'Choose the folder of a Hugging Face model (it holds config.json and the weights).', field);
  }
  if (error instanceof GpuSelectionError) throw new ApiError('invalid_request', error.message, 'Choose GPUs from the hardware report.', 'gpus');
  if (error instanceof PresetError) throw new ApiError('preset', error.message, 'Fix or remove the preset file named in the message.');
  throw error;
}

export const machineHandlers: HandlerMap<MachineCall> = {
  'hardware.report': (request, ctx) => hardwareReport({ diskPath: diskPathFor(ctx), ...(request.skipTrainer ? { skipTrainer: true } : {}) }),
  'models.inspect': (request) => inspectModel(request.dir).catch((error: unknown) => translate(error, 'dir')),
  'estimator.estimate': (request) => estimate(request.model, request.method, request.settings),
  'recommend.plan': async (request, ctx) => {
    const { gpus, dtype, ...rest } = request;
    const outcome = await recommendForModel(
      { ...rest, ...(gpus ? { gpus } : {}), ...(dtype ? { dtype } : {}) },
      { reportOptions: { diskPath: diskPathFor(ctx) } },
    ).catch((error: unknown) => translate(error, 'modelDir'));
    return outcome.recommendation;
  },
  'presets.list': async () => ({ presets: await loadPresets().catch((error: unknown) => translate(error)) }),
};
