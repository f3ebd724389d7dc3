// Bindings for contract/legacy-chatglm.ts: ChatGLM-6B's legacy environment, its status and the agreement (see
// legacy-chatglm-env.ts). The agreement may run pip for minutes; it is async and never blocks.
import { ApiError } from '../api-error';
import type { HandlerMap } from '../handler-types';
import { agreeLegacyChatglm, LegacyChatglmError, legacyChatglmStatus } from '../../services/legacy-chatglm/legacy-chatglm-env';

/** Each reason as an API error code the transports already know. */
const CODES: Record<LegacyChatglmError['reason'], string> = {
  'not-chatglm-6b': 'model_dir',
  changed: 'conflict',
  busy: 'conflict',
  config: 'model_dir',
  dependency: 'trainer_unavailable',
  trainer: 'trainer_unavailable',
};

function translate(error: unknown): never {
  if (error instanceof LegacyChatglmError) throw new ApiError(CODES[error.reason], error.message, error.hint, error.reason === 'changed' ? 'files' : undefined);
  throw error;
}

export const legacyChatglmHandlers: HandlerMap<'models.legacyChatglm' | 'models.legacyChatglmAgree'> = {
  'models.legacyChatglm': (request) => legacyChatglmStatus(request.modelDir).catch(translate),
  'models.legacyChatglmAgree': (request) => agreeLegacyChatglm(request.modelDir, request.files).catch(translate),
};
