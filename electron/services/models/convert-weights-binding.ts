// Binding for the one-click weights conversion (see convert-weights.ts). It may read and write tens
// of GB for minutes; it is async and never blocks the host.
import { ApiError } from '../../api/api-error';
import type { HandlerMap } from '../../api/handler-types';
import { convertWeights, ConvertWeightsError } from './convert-weights';

/** Each reason as an API error code the transports already know. */
const CODES: Record<ConvertWeightsError['reason'], string> = {
  'not-needed': 'model_dir',
  busy: 'conflict',
  config: 'model_dir',
  dependency: 'trainer_unavailable',
  trainer: 'trainer_unavailable',
};

function translate(error: unknown): never {
  if (error instanceof ConvertWeightsError) {
    throw new ApiError(CODES[error.reason], error.message, error.hint, CODES[error.reason] === 'model_dir' ? 'modelDir' : undefined);
  }
  throw error;
}

export const convertWeightsHandlers: HandlerMap<'models.convertWeights'> = {
  'models.convertWeights': (request) => convertWeights(request.modelDir).catch(translate),
};
