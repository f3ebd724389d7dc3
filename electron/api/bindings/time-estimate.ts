// Bindings for contract/time-estimate.ts. The estimate itself is the estimator's
// (services/estimator/time-estimate-for-run.ts); the host gives it the runs root and its machine.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import type { HardwareReport } from '../../shared/contract/hardware';
import { hardwareReport } from '../../services/hardware/hardware-report';
import { timeEstimateFor } from '../../services/estimator/time-estimate-for-run';
import type { ApiContext } from '../context';
import type { HandlerMap } from '../handler-types';

/**
 * What the estimate needs from the machine; asked once per host (GPUs do not change while it runs).
 * With the trainer's (cached) doctor: a CPU build of torch trains on the CPU whatever nvidia-smi shows.
 */
function machine(ctx: ApiContext): Promise<HardwareReport | null> {
  return ctx.service('estimator.time.hardware', () =>
    hardwareReport({ diskPath: [ctx.dataDir, ctx.runsRoot].find((p) => existsSync(p)) ?? homedir() }).catch(() => null),
  );
}

export const timeEstimateHandlers: HandlerMap<'estimator.time'> = {
  'estimator.time': (request, ctx) => timeEstimateFor(request, { runsRoot: ctx.runsRoot, machine: () => machine(ctx) }),
};
