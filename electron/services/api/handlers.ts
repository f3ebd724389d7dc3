// Every contract call bound to its service. The type demands a handler for EVERY call in the
// contract: a new call without a binding, or a renamed one, breaks the build (and
// tests/unit/contract-bindings.test.ts checks the same at run time).
import type { CallName } from '../../shared/contract';
import { appHandlers } from './app-handlers';
import { convertWeightsHandlers } from '../models/convert-weights-binding';
import { datasetsHandlers } from './datasets-handlers';
import { exportHandlers } from '../export/export-binding';
import type { HandlerMap } from './handler-types';
import { hubHandlers } from '../hub/hub-binding';
import { importChatglmHandlers } from '../models/import-chatglm-binding';
import { legacyChatglmHandlers } from '../models/legacy-chatglm-binding';
import { machineHandlers } from './machine-handlers';
import { predictHandlers } from '../predict/predict-binding';
import { runsHandlers } from '../runs/runs-binding';
import { systemHandlers } from './system-handlers';
import { timeEstimateHandlers } from '../estimator/time-estimate-binding';

export const handlers: HandlerMap<CallName> = {
  ...appHandlers,
  ...systemHandlers,
  ...machineHandlers,
  ...legacyChatglmHandlers,
  ...convertWeightsHandlers,
  ...hubHandlers,
  ...importChatglmHandlers,
  ...timeEstimateHandlers,
  ...runsHandlers,
  ...datasetsHandlers,
  ...exportHandlers,
  ...predictHandlers,
};
