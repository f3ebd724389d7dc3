// Parsing events.jsonl lines fast enough for long runs (>= 100k lines/s). Metrics lines are nearly
// all of a run's events, so they get a direct structural check that accepts exactly what the
// shared zod schema (electron/shared/events.ts) accepts; every other line — and any metrics line
// the fast check does not accept — goes through the schema itself, so errors read the same.
// tests/unit/runs-event-parse.test.ts holds the two to the same answers.
import { trainerEventSchema, type MetricsEvent, type ParsedLine } from '../../shared/events';

const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** True only for a metrics event that the schema certainly accepts. */
function isValidMetrics(raw: Record<string, unknown>): boolean {
  if (raw.type !== 'metrics' || raw.v !== 1 || !isFiniteNumber(raw.ts) || !Number.isSafeInteger(raw.step) || !isFiniteNumber(raw.epoch)) {
    return false;
  }
  const values = raw.values;
  if (!isPlainObject(values)) return false;
  for (const key in values) {
    const value = values[key];
    if (value !== null && !isFiniteNumber(value)) return false;
  }
  return true;
}

/** Same contract as parseEventLine (never throws; same errors), faster on metrics lines. */
export function parseEvent(line: string): ParsedLine {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return { ok: false, error: 'not valid JSON' };
  }
  if (isPlainObject(raw) && isValidMetrics(raw)) return { ok: true, event: raw as MetricsEvent };
  const result = trainerEventSchema.safeParse(raw);
  if (!result.success) return { ok: false, error: result.error.issues[0]?.message ?? 'invalid event' };
  return { ok: true, event: result.data };
}
