// Bindings for contract/models.ts: reading a model folder, the one-click weights conversion (see
// convert-weights.ts) and the one-click ChatGLM2/3 import (see import-chatglm.ts). The last two may
// read and write tens of GB for minutes; they are async and never block the host.
import { ApiError } from '../api-error';
import type { HandlerMap } from '../handler-types';
import { machineRefusal } from '../machine-refusals';
import { convertWeights, ConvertWeightsError } from '../../services/models/convert-weights';
import { importChatglm, ImportChatglmError } from '../../services/models/import-chatglm';
import { inspectModel } from '../../services/models/inspect-model';

type ModelsCall = 'models.inspect' | 'models.convertWeights' | 'models.importChatglm';

/** Each reason as an API error code the transports already know. */
const CONVERT_CODES: Record<ConvertWeightsError['reason'], string> = {
  'not-needed': 'model_dir',
  busy: 'conflict',
  config: 'model_dir',
  dependency: 'trainer_unavailable',
  trainer: 'trainer_unavailable',
};

const IMPORT_CODES: Record<ImportChatglmError['reason'], string> = { 'not-needed': 'model_dir', busy: 'conflict', config: 'model_dir', trainer: 'trainer_unavailable' };

function translate(error: unknown): never {
  if (error instanceof ConvertWeightsError) {
    const code = CONVERT_CODES[error.reason];
    throw new ApiError(code, error.message, error.hint, code === 'model_dir' ? 'modelDir' : undefined);
  }
  if (error instanceof ImportChatglmError) {
    const code = IMPORT_CODES[error.reason];
    throw new ApiError(code, error.message, error.hint, code === 'model_dir' ? 'modelDir' : undefined);
  }
  throw error;
}

export const modelsHandlers: HandlerMap<ModelsCall> = {
  'models.inspect': (request) => inspectModel(request.dir).catch((error: unknown) => machineRefusal(error, 'dir')),
  'models.convertWeights': (request) => convertWeights(request.modelDir).catch(translate),
  'models.importChatglm': (request, ctx) => importChatglm(request.modelDir, ctx.dataDir).catch(translate),
};
