// Binding for the one-click ChatGLM2/3 import (see import-chatglm.ts): minutes of work, async.
import { ApiError } from '../../api/api-error';
import type { HandlerMap } from '../../api/handler-types';
import { importChatglm, ImportChatglmError } from './import-chatglm';

const CODES: Record<ImportChatglmError['reason'], string> = { 'not-needed': 'model_dir', busy: 'conflict', config: 'model_dir', trainer: 'trainer_unavailable' };

export const importChatglmHandlers: HandlerMap<'models.importChatglm'> = {
  'models.importChatglm': (request, ctx) =>
    importChatglm(request.modelDir, ctx.dataDir).catch((error: unknown) => {
      if (error instanceof ImportChatglmError) throw new ApiError(CODES[error.reason], error.message, error.hint, CODES[error.reason] === 'model_dir' ? 'modelDir' : undefined);
      throw error;
    }),
};
