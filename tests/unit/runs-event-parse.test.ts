import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseEventLine } from '../../electron/shared/events';
import { parseEvent } from '../../electron/services/runs/event-parse';

const goldenDir = join(__dirname, '..', 'fixtures', 'golden-events');
const goldenLines = readdirSync(goldenDir)
  .filter((f) => f.endsWith('.jsonl'))
  .flatMap((f) => readFileSync(join(goldenDir, f), 'utf8').split('\n').filter((l) => l.trim() !== ''));

const base = { v: 1, ts: 1764288002.5, type: 'metrics', step: 3, epoch: 0.25, values: { loss: 4.1, lr: 0.0005, grad_norm: null } };
const variants: unknown[] = [
  base,
  { ...base, values: {} },
  { ...base, extra: { anything: [1, 2] } },
  { ...base, step: 3.5 },
  { ...base, step: '3' },
  { ...base, step: 2 ** 60 },
  { ...base, step: -1 },
  { ...base, epoch: null },
  { ...base, epoch: '0.1' },
  { ...base, ts: '1' },
  { ...base, v: 2 },
  { ...base, v: '1' },
  { ...base, values: [1, 2] },
  { ...base, values: null },
  { ...base, values: { loss: 'low' } },
  { ...base, values: { loss: { nested: 1 } } },
  { ...base, values: { loss: true } },
  { ...base, type: 'metric' },
  (({ step: _s, ...rest }) => rest)(base),
  (({ values: _v, ...rest }) => rest)(base),
  [base],
  'metrics',
  null,
  42,
];

describe('fast event parsing agrees with the shared schema', () => {
  it('on every golden line (valid and invalid)', () => {
    for (const line of goldenLines) expect(parseEvent(line), line).toEqual(parseEventLine(line));
  });

  it('on metrics lines mutated field by field', () => {
    for (const v of variants) {
      const line = JSON.stringify(v);
      expect(parseEvent(line), line).toEqual(parseEventLine(line));
    }
    expect(parseEvent(JSON.stringify(base)).ok).toBe(true);
    expect(parseEvent(JSON.stringify({ ...base, step: 3.5 })).ok).toBe(false);
  });

  it('on text that is not JSON', () => {
    for (const line of ['{"v":1,', '', 'NaN', '{"v":1,"values":{"loss":NaN}}']) expect(parseEvent(line)).toEqual(parseEventLine(line));
  });
});
