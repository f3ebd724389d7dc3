// Every contract call bound to its service. The type demands a handler for EVERY call in the
// contract: a new call without a binding, or a renamed one, breaks the build (and
// tests/unit/contract-bindings.test.ts checks the same at run time).
import type { CallName } from '../shared/contract';
import { appHandlers } from './app-handlers';
import { convertWeightsHandlers } from '../services/models/convert-weights-binding';
import { datasetsHandlers } from './datasets-handlers';
import { exportHandlers } from '../services/export/export-binding';
import type { HandlerMap } from './handler-types';
import { hubHandlers } from '../services/hub/hub-binding';
import { importChatglmHandlers } from '../services/models/import-chatglm-binding';
import { legacyChatglmHandlers } from '../services/models/legacy-chatglm-binding';
import { machineHandlers } from './machine-handlers';
import { predictHandlers } from '../services/predict/predict-binding';
import { runsHandlers } from '../services/runs/runs-binding';
import { systemHandlers } from './system-handlers';
import { timeEstimateHandlers } from '../services/estimator/time-estimate-binding';

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
