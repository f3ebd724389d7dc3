// Bindings for contract/recommend.ts.
import { recommendForModel } from '../../services/recommend/recommend-service';
import type { HandlerMap } from '../handler-types';
import { diskPathFor, machineRefusal } from '../machine-refusals';

export const recommendHandlers: HandlerMap<'recommend.plan'> = {
  'recommend.plan': async (request, ctx) => {
    const { gpus, dtype, ...rest } = request;
    const outcome = await recommendForModel(
      { ...rest, ...(gpus ? { gpus } : {}), ...(dtype ? { dtype } : {}) },
      { reportOptions: { diskPath: diskPathFor(ctx) } },
    ).catch((error: unknown) => machineRefusal(error, 'modelDir'));
    return outcome.recommendation;
  },
};
