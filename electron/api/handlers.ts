// Every contract call bound to its service: one binding file per contract file
// (electron/api/bindings/<name>.ts for electron/shared/contract/<name>.ts). The type demands a
// handler for EVERY call in the contract: a new call without a binding, or a renamed one, breaks
// the build (and tests/unit/contract-bindings.test.ts checks the same at run time, file by file).
import type { CallName } from '../shared/contract';
import { appHandlers } from './bindings/app';
import { checkpointsHandlers } from './bindings/checkpoints';
import { datasetsHandlers } from './bindings/datasets';
import { estimatorHandlers } from './bindings/estimator';
import { exportHandlers } from './bindings/export';
import { hardwareHandlers } from './bindings/hardware';
import { hubHandlers } from './bindings/hub';
import { legacyChatglmHandlers } from './bindings/legacy-chatglm';
import { modelsHandlers } from './bindings/models';
import { predictHandlers } from './bindings/predict';
import { presetsHandlers } from './bindings/presets';
import { recommendHandlers } from './bindings/recommend';
import { runsHandlers } from './bindings/runs';
import { settingsHandlers } from './bindings/settings';
import { systemHandlers } from './bindings/system';
import { timeEstimateHandlers } from './bindings/time-estimate';
import type { HandlerMap } from './handler-types';

/** Each binding file's handlers, by the contract file they bind (the test compares them file by file). */
export const bindings = {
  app: appHandlers,
  checkpoints: checkpointsHandlers,
  datasets: datasetsHandlers,
  estimator: estimatorHandlers,
  export: exportHandlers,
  hardware: hardwareHandlers,
  hub: hubHandlers,
  'legacy-chatglm': legacyChatglmHandlers,
  models: modelsHandlers,
  predict: predictHandlers,
  presets: presetsHandlers,
  recommend: recommendHandlers,
  runs: runsHandlers,
  settings: settingsHandlers,
  system: systemHandlers,
  'time-estimate': timeEstimateHandlers,
} as const;

export const handlers: HandlerMap<CallName> = {
  ...appHandlers,
  ...systemHandlers,
  ...hardwareHandlers,
  ...modelsHandlers,
  ...hubHandlers,
  ...legacyChatglmHandlers,
  ...estimatorHandlers,
  ...timeEstimateHandlers,
  ...runsHandlers,
  ...checkpointsHandlers,
  ...settingsHandlers,
  ...datasetsHandlers,
  ...recommendHandlers,
  ...presetsHandlers,
  ...exportHandlers,
  ...predictHandlers,
};
