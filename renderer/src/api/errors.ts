// A failed call, as the renderer sees it: the host's error body, thrown.
import type { ApiErrorBody } from '../../../electron/shared/bridge';

export class ApiCallError extends Error implements ApiErrorBody {
  readonly code: string;
  readonly hint?: string;
  readonly field?: string;
  readonly call: string;

  constructor(call: string, body: ApiErrorBody) {
    super(body.message);
    this.name = 'ApiCallError';
    this.call = call;
    this.code = body.code;
    if (body.hint !== undefined) this.hint = body.hint;
    if (body.field !== undefined) this.field = body.field;
  }
}
