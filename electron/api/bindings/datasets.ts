// Bindings for contract/datasets.ts.
import { checkDataset, DataCheckError } from '../../services/datasets/data-check';
import { ApiError } from '../api-error';
import type { HandlerMap } from '../handler-types';

export const datasetsHandlers: HandlerMap<'datasets.check'> = {
  'datasets.check': async (request) => {
    try {
      return await checkDataset(request);
    } catch (error) {
      if (error instanceof DataCheckError) throw new ApiError('trainer_unavailable', error.message, error.hint);
      throw error;
    }
  },
};
