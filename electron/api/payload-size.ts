// The size limit of one request, shared by both transports (HTTP checks the raw body before
// parsing; IPC, which hands over already-deserialised values, measures them here).
export const MAX_REQUEST_BYTES = 1024 * 1024;

/** Byte size of `value` as JSON, or Infinity when it cannot be serialised (cycles, BigInt). */
export function jsonSize(value: unknown): number {
  try {
    const text = JSON.stringify(value ?? null);
    return Buffer.byteLength(text ?? '', 'utf8');
  } catch {
    return Infinity;
  }
}

export function tooLargeMessage(limit = MAX_REQUEST_BYTES): string {
  return `The request is larger than ${limit} bytes.`;
}
