import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseEventLine } from '../../electron/shared/events';

const goldenDir = join(__dirname, '..', 'fixtures', 'golden-events');
const lines = (file: string) =>
  readFileSync(join(goldenDir, file), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');

describe('event schema v1 against the golden files', () => {
  const validFiles = readdirSync(goldenDir).filter((f) => f.endsWith('.jsonl') && !f.startsWith('invalid'));

  it('has golden files to check', () => {
    expect(validFiles.length).toBeGreaterThanOrEqual(4);
  });

  for (const file of validFiles) {
    it(`accepts every line of ${file}`, () => {
      for (const [i, line] of lines(file).entries()) {
        const parsed = parseEventLine(line);
        expect(parsed, `${file}:${i + 1}`).toMatchObject({ ok: true });
      }
    });
  }

  it('rejects every line of invalid-events.jsonl', () => {
    for (const [i, line] of lines('invalid-events.jsonl').entries()) {
      expect(parseEventLine(line).ok, `invalid-events.jsonl:${i + 1}`).toBe(false);
    }
  });

  it('rejects a line that is not JSON without throwing', () => {
    expect(parseEventLine('{"v":1,"ts":')).toEqual({ ok: false, error: 'not valid JSON' });
  });
});
