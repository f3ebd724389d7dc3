// Which skip reasons CI accepts (tests/helpers/known-skip-reasons.json, shared with the Python tests):
// a test that silently stops running in CI is a test that cannot fail, so only a machine limit CI
// cannot lift (no Electron binary, no DeepSpeed, no GPU) may skip one there.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface KnownSkipReason {
  name: string;
  pattern: string;
}

export const KNOWN_SKIP_REASONS_FILE = join(import.meta.dirname, 'known-skip-reasons.json');

export function loadKnownSkipReasons(file = KNOWN_SKIP_REASONS_FILE): KnownSkipReason[] {
  return (JSON.parse(readFileSync(file, 'utf8')) as { reasons: KnownSkipReason[] }).reasons;
}

/** Marks a title with the reason its test is skipped, where the skip cannot carry a note
 * (`describe.skipIf`): `describe.skipIf(reason !== null)(withSkipReason('the app', reason), ...)`. */
export function withSkipReason(title: string, reason: string | null | false | undefined): string {
  return reason ? `${title} — skipped: ${reason}` : title;
}

/** A skipped test's reason: the note of `ctx.skip(note)`, else what its full title says after "skipped: ". */
export function skipReasonOf(fullName: string, note: string | undefined): string | null {
  if (note?.trim()) return note.trim();
  const at = fullName.lastIndexOf('skipped: ');
  return at < 0 ? null : fullName.slice(at + 'skipped: '.length).trim() || null;
}

/** True when the reason names a known machine limit (one of the patterns matches it). */
export function isKnownSkipReason(reason: string | null, known: readonly KnownSkipReason[] = loadKnownSkipReasons()): boolean {
  return reason !== null && known.some((k) => new RegExp(k.pattern, 'i').test(reason));
}
