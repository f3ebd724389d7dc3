// Bindings for the machine engineer's contracts: hardware.ts, models.ts, estimator.ts.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { estimate } from '../estimator/estimate';
import { hardwareReport } from '../hardware/hardware-report';
import { ModelDirError, inspectModel } from '../models/inspect-model';
import { ApiError } from './api-error';
import type { HandlerMap } from './handler-types';

type MachineCall = 'hardware.report' | 'models.inspect' | 'estimator.estimate';

export const machineHandlers: HandlerMap<MachineCall> = {
  'hardware.report': (request, ctx) => {
    // Free disk space is reported for the disk the runs go to (the folder may not exist yet).
    const diskPath = [ctx.runsRoot, ctx.dataDir].find((p) => existsSync(p)) ?? homedir();
    return hardwareReport({ diskPath, ...(request.skipTrainer ? { skipTrainer: true } : {}) });
  },
  'models.inspect': async (request) => {
    try {
      return await inspectModel(request.dir);
    } catch (error) {
      if (error instanceof ModelDirError) {
        throw new ApiError('model_dir', error.message, 'Choose the folder of a Hugging Face model (it holds config.json and the weights).', 'dir');
      }
      throw error;
    }
  },
  'estimator.estimate': (request) => estimate(request.model, request.method, request.settings),
};
