// The one way a contract declares "this field is a local filesystem path". The host's dispatcher
// finds every field built with localPath() in a request schema and runs the shared path checker
// (electron/services/paths) on it BEFORE the handler sees it, so no call can read or write
// outside the allowed folders. Use localPath() for every path field; chaining .optional(),
// .nullable() or .describe() on it keeps the mark.
import { z } from 'zod';

export interface PathFieldMeta {
  /** 'exist': must exist now (read). 'create': may not exist yet (an output); its parent must. */
  must: 'exist' | 'create';
  /** What it must be when it exists. */
  kind: 'file' | 'directory' | 'any';
}

/** Registry of the schemas that are local paths (walked by the dispatcher and the security tests). */
export const pathFields = z.registry<PathFieldMeta>();

/** An absolute local path, checked against the allowed folders by the host before any handler runs. */
export function localPath(meta: PathFieldMeta) {
  return z
    .string()
    .min(1, 'a path is required')
    .max(4096, 'path is longer than 4096 characters')
    .refine((p) => !p.includes('\0'), 'path contains a NUL character')
    .register(pathFields, meta);
}
