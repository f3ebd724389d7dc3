// Refusals of run and checkpoint operations: not faults, so each carries the API code that makes
// it a 4xx with its message (the bindings map them; services never import the API layer).

/** A name from a request that is not a valid run id or checkpoint folder name (HTTP 400). */
export class BadNameError extends Error {
  readonly code = 'invalid_request';
}

/** The thing to change is in use, e.g. a live run (HTTP 409). */
export class InUseError extends Error {
  readonly code = 'conflict';
}

/** There is nothing of that name (HTTP 404). */
export class NothingThereError extends Error {
  readonly code = 'not_found';
}
