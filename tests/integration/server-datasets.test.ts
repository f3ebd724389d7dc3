// datasets.check end to end through the dispatcher: the REAL trainer's `data-check --json` on a
// small file with one bad line (no model: validation only), and with the embedded demo model's
// tokenizer (the shared demo model of the run tests).
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiContext, type ApiContext } from '../../electron/api/context';
import { dispatch } from '../../electron/api/dispatch';
import type { DataCheckReport } from '../../electron/shared/contract/datasets';
import { demoModel } from '../helpers/runs-helpers';
import { dataCheckArgs, parseDataCheckOutput, toReport } from '../../electron/services/datasets/data-check';

let base: string;
let ctx: ApiContext;

beforeAll(() => {
  base = realpathSync(mkdtempSync(join(tmpdir(), 'tunedesk-datasets-')));
  ctx = createApiContext({ mode: 'browser', appRoot: join(__dirname, '..', '..'), runsRoot: join(base, 'runs'), dataDir: join(base, 'data') });
  ctx.paths.allow(base, 'test folder');
});
afterAll(async () => {
  await ctx.shutdown();
  rmSync(base, { recursive: true, force: true });
});

describe('datasets.check', () => {
  it('reports the bad line of a data file with its line number (real trainer)', async () => {
    const file = join(base, 'train.jsonl');
    writeFileSync(
      file,
      [
        JSON.stringify({ instruction: 'Say hi', input: '', output: 'hi' }),
        '{"instruction": "broken", ',
        JSON.stringify({ instruction: 'Count', input: '1 2', output: '3' }),
      ].join('\n') + '\n',
    );
    const result = await dispatch(ctx, 'datasets.check', { trainPath: file });
    expect(result.ok, JSON.stringify(result)).toBe(true);
    if (!result.ok) return;
    const report = result.value as { ok: boolean; samples: number; problems: { file: string; line: number; reason: string }[]; problemCount: number };
    expect(report.ok).toBe(false);
    expect(report.samples).toBe(2);
    expect(report.problemCount).toBe(1);
    expect(report.problems[0]).toMatchObject({ line: 2 });
    expect(report.problems[0]!.reason.length).toBeGreaterThan(5);
  });

  it('previews tokenization with the demo model: prompt/answer segments, truncation, histogram', async () => {
    const model = await demoModel(); // made once per checkout, shared with the run tests
    ctx.paths.allow(model, 'demo model');
    const file = join(base, 'long.jsonl');
    const long = 'x'.repeat(200);
    writeFileSync(file, [JSON.stringify({ instruction: 'Say hi', input: '', output: 'hi' }), JSON.stringify({ instruction: long, input: '', output: long })].join('\n'));
    const result = await dispatch(ctx, 'datasets.check', { trainPath: file, modelDir: model, maxLen: 64, maxSrcLen: 32, preview: 2 });
    expect(result.ok, JSON.stringify(result)).toBe(true);
    if (!result.ok) return;
    const report = result.value as DataCheckReport;
    expect(report.ok).toBe(true);
    expect(report.preview).toHaveLength(2);
    const kinds = new Set(report.preview.flatMap((p) => p.segments.map((s) => s.kind)));
    expect(kinds.has('prompt') && kinds.has('answer')).toBe(true);
    expect(report.preview[1]!.truncated).toBe(true);
    // Both limits cut the long sample, and each cut says which one it was.
    expect(report.preview[1]!.cutBy).toEqual(['max_len', 'max_src_len']);
    expect(report.preview[1]!.segments.filter((s) => s.kind === 'truncated').map((s) => s.limit)).toEqual(['max_src_len', 'max_len']);
    expect(report.preview[0]!.cutBy).toEqual([]);
    expect(report.histogram!.max_len).toBe(64);
    expect(report.histogram!.over_max_len).toBe(1);
  });

  it('refuses a data file outside the allowed folders before running anything', async () => {
    const result = await dispatch(ctx, 'datasets.check', { trainPath: '/etc/hostname' });
    expect(result).toMatchObject({ ok: false, error: { code: 'path_refused', field: 'trainPath' } });
  });
});

describe('data-check translation', () => {
  it('passes the options as the trainer flags', () => {
    expect(dataCheckArgs({ trainPath: '/d.jsonl', modelDir: '/m', mode: 'glm2', maxLen: 64, maxSrcLen: 32, preview: 2, dropEmptyOutput: true })).toEqual([
      'data-check', '--json', '--train_path', '/d.jsonl', '--model_name_or_path', '/m', '--mode', 'glm2', '--max_len', '64', '--max_src_len', '32', '--preview', '2', '--drop_empty_output',
    ]);
  });

  it('reads the last JSON line even when libraries printed before it, and explains a missing report', () => {
    const run = (stdout: string, extra: object = {}) => ({ stdout, stderr: 'Traceback...\nValueError: boom', exitCode: 1, timedOut: false, startError: null, elapsedMs: 1, ...extra });
    const raw = parseDataCheckOutput(run('warning: something\n{"ok": true, "samples": 3, "problems": [], "problem_count": 0}\n'));
    expect(toReport(raw, '/d')).toMatchObject({ ok: true, samples: 3, trainPath: '/d', stats: null, error: null });
    expect(() => parseDataCheckOutput(run('no json'))).toThrow(/without a report[\s\S]*ValueError: boom/);
    expect(() => parseDataCheckOutput(run('', { startError: 'ENOENT' }))).toThrow(/could not start/);
    expect(() => parseDataCheckOutput(run('', { timedOut: true }))).toThrow(/longer than/);
  });
});
