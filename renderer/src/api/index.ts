// The renderer's only door to the host. Import from here: `import { api } from '../api'`.
export { api, createApiClient, createDefaultClient, type ApiClient } from './client';
export { ApiCallError } from './errors';
export { createHttpTransport, tokenFromLocation } from './http-transport';
export type {
  CallName,
  CallRequest,
  CallResponse,
  TopicEvent,
  TopicName,
} from '../../../electron/shared/contract';
