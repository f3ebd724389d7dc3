// Errors that handlers throw on purpose. Anything else becomes { code: 'internal' }.
import type { ApiErrorBody } from '../shared/bridge';

export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly hint?: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toBody(): ApiErrorBody {
    const body: ApiErrorBody = { code: this.code, message: this.message };
    if (this.hint) body.hint = this.hint;
    if (this.field) body.field = this.field;
    return body;
  }
}

/** HTTP status for an error code (the IPC transport ignores it). */
export function httpStatusFor(code: string): number {
  switch (code) {
    case 'invalid_request':
      return 400;
    case 'unauthorized':
      return 401;
    case 'path_refused':
    case 'forbidden':
      return 403;
    case 'unknown_call':
    case 'not_found':
      return 404;
    case 'conflict':
      return 409;
    case 'too_large':
      return 413;
    case 'unsupported_media_type':
      return 415;
    case 'internal':
      return 500;
    default:
      return 422; // the call was understood but failed (e.g. a run that cannot start): the body says why
  }
}
