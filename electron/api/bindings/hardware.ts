// Bindings for contract/hardware.ts.
import { hardwareReport } from '../../services/hardware/hardware-report';
import type { HandlerMap } from '../handler-types';
import { diskPathFor } from '../machine-refusals';

export const hardwareHandlers: HandlerMap<'hardware.report'> = {
  'hardware.report': (request, ctx) => hardwareReport({ diskPath: diskPathFor(ctx), ...(request.skipTrainer ? { skipTrainer: true } : {}) }),
};
