// Bindings for contract/estimator.ts (the memory estimate; the time estimate is time-estimate.ts).
import { estimate } from '../../services/estimator/estimate';
import type { HandlerMap } from '../handler-types';

export const estimatorHandlers: HandlerMap<'estimator.estimate'> = {
  'estimator.estimate': (request) => estimate(request.model, request.method, request.settings),
};
