// The export/predict services' own logic: line splitting, event → outcome, argv, checkpoint
// resolution, cancellation, and the CLI's rendering. The trainer is replaced here by a shell
// script that replays event lines (the integration test runs the real one).
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeOutcome, renderBar } from '../../electron/cli/commands/export';
import { resolveModelTarget } from '../../electron/cli/commands/try';
import { CheckpointTargetError, exportArgs, outcomeOf, resolveCheckpoint, runExport } from '../../electron/services/export/export-service';
import { LineSplitter, streamTrainerCommand } from '../../electron/services/export/trainer-stream';
import { predictArgs, runPredict } from '../../electron/services/predict/predict-service';

const root = mkdtempSync(join(tmpdir(), 'tunedesk-export-unit-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const golden = readFileSync(join(__dirname, '..', 'fixtures', 'golden-events', 'export.jsonl'), 'utf8');

/** A stand-in for the trainer's Python: prints $FAKE_EVENTS, some noise, then sleeps or exits. */
function fakePython(): string {
  const path = join(root, 'fake-python.sh');
  writeFileSync(
    path,
    '#!/bin/sh\nprintf "%s" "$FAKE_EVENTS"\necho "a stray print, not an event"\necho "a warning" >&2\n' +
      'if [ -n "$FAKE_SLEEP" ]; then exec sleep "$FAKE_SLEEP"; fi\nexit "${FAKE_EXIT:-0}"\n',
  );
  chmodSync(path, 0o755);
  return path;
}

function makeCheckpoint(runDir: string, step: number, complete = true): string {
  const dir = join(runDir, 'checkpoints', `step-${String(step).padStart(6, '0')}`);
  mkdirSync(dir, { recursive: true });
  if (complete) writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ format: 'tunedesk-checkpoint', version: 1, step }));
  return dir;
}

describe('LineSplitter', () => {
  it('keeps a line split across chunks whole', () => {
    const s = new LineSplitter();
    expect(s.push('{"a":')).toEqual([]);
    expect(s.push('1}\r\n{"b"')).toEqual(['{"a":1}']);
    expect(s.push(':2}\n')).toEqual(['{"b":2}']);
    expect(s.push('tail')).toEqual([]);
    expect(s.flush()).toEqual(['tail']);
  });
});

describe('streaming the trainer events', () => {
  const python = fakePython();

  it('delivers every event in order and ignores non-event output', async () => {
    const seen: string[] = [];
    const result = await streamTrainerCommand(['export'], { python, env: { FAKE_EVENTS: golden }, onEvent: (e) => seen.push(e.type) });
    expect(result.exitCode).toBe(0);
    expect(seen).toEqual(['export_progress', 'export_progress', 'export_progress', 'export_finished', 'predict_token', 'predict_token', 'predict_finished']);
    expect(result.stderrTail).toEqual(['a warning']);
  });

  it('turns progress into typed fractions and the last export_finished into the outcome', async () => {
    const fractions: number[] = [];
    const outcome = await runExport({ checkpoint: '/c' }, { python, env: { FAKE_EVENTS: golden }, onProgress: (p) => fractions.push(p.fraction) });
    expect(fractions).toEqual([0.3, 0.7, 0.9]);
    expect(outcome).toMatchObject({ status: 'completed', out: '/data/exports/demo', verification: { passed: true, samples: 3 } });
  });

  it('cancels: the process is stopped and the outcome says cancelled', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const progress = '{"v":1,"ts":1,"type":"export_progress","stage":"write","fraction":0.5}\n';
    const outcome = await runExport(
      { checkpoint: '/c', out: '/x' },
      { python, env: { FAKE_EVENTS: progress, FAKE_SLEEP: '30' }, signal: controller.signal, onProgress: () => controller.abort() },
    );
    expect(outcome).toMatchObject({ status: 'cancelled', out: '/x' });
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('streams predict tokens and returns the finished text', async () => {
    const tokens: string[] = [];
    const outcome = await runPredict({ model: '/m', prompt: 'hi' }, { python, env: { FAKE_EVENTS: golden }, onToken: (t) => tokens.push(t) });
    expect(tokens).toEqual(['Hel', 'lo']);
    expect(outcome).toEqual({ status: 'completed', text: 'Hello' });
  });

  it('reports the classified error a failed predict attaches to its log line', async () => {
    const failed = '{"v":1,"ts":1,"type":"log","level":"error","message":"m — h","error":{"kind":"config","message":"no such dir","hint":"pass one"}}\n';
    const outcome = await runPredict({ model: '/m', prompt: 'hi' }, { python, env: { FAKE_EVENTS: failed, FAKE_EXIT: '1' } });
    expect(outcome).toMatchObject({ status: 'failed', error: { kind: 'config', message: 'no such dir' } });
  });
});

describe('outcomeOf', () => {
  const base = { cancelled: false, stderrTail: [], startError: null };
  it('keeps the verification of a failed export', () => {
    const events = [
      { v: 1 as const, ts: 1, type: 'export_finished' as const, status: 'failed' as const, out: '/o', error: { kind: 'verification' as const, message: 'merge did not happen', hint: 'h' }, verification: { max_abs_logit_diff: 3 } },
    ];
    const outcome = outcomeOf({ ...base, exitCode: 1, events }, '/o', []);
    expect(outcome).toMatchObject({ status: 'failed', error: { kind: 'verification' }, verification: { max_abs_logit_diff: 3 } });
    expect(describeOutcome(outcome)).toContain('export failed (verification): merge did not happen');
  });
  it('calls a process that died without export_finished a failure, with the stderr tail', () => {
    const outcome = outcomeOf({ ...base, exitCode: 137, events: [], stderrTail: ['Killed'] }, '/o', []);
    expect(outcome.status).toBe('failed');
    if (outcome.status === 'failed') expect(outcome.error.message).toContain('exit 137');
  });
});

describe('argv', () => {
  it('passes only what was asked', () => {
    expect(exportArgs({ checkpoint: '/c' })).toEqual(['export', '--checkpoint', '/c']);
    expect(exportArgs({ checkpoint: '/c', out: '/o', dtype: 'q8_0', format: 'gguf', force: true })).toEqual(
      ['export', '--checkpoint', '/c', '--out', '/o', '--dtype', 'q8_0', '--format', 'gguf', '--force'],
    );
    expect(predictArgs({ model: '/m', prompt: 'p' })).toEqual(['predict', '--model', '/m', '--prompt', 'p', '--greedy']);
    expect(predictArgs({ model: '/m', prompt: 'p', greedy: false, temperature: 0.5, maxNewTokens: 9 })).toEqual(
      ['predict', '--model', '/m', '--prompt', 'p', '--max_new_tokens', '9', '--temperature', '0.5'],
    );
    const history = [{ role: 'user' as const, content: 'q1' }, { role: 'assistant' as const, content: 'a1' }];
    expect(predictArgs({ model: '/m', prompt: 'q2', greedy: false, topP: 0.8, history })).toEqual(
      ['predict', '--model', '/m', '--prompt', 'q2', '--top_p', '0.8', '--history', JSON.stringify(history)],
    );
  });
});

describe('resolveCheckpoint', () => {
  const runsRoot = join(root, 'runs');
  const runDir = join(runsRoot, 'run-a');
  makeCheckpoint(runDir, 2);
  const newest = makeCheckpoint(runDir, 10);
  makeCheckpoint(runDir, 12, false); // incomplete: never chosen

  it('takes a checkpoint directory as it is', async () => {
    expect(await resolveCheckpoint(newest, runsRoot)).toEqual({ checkpointDir: newest, runDir });
  });
  it('takes the newest complete checkpoint of a run id or run directory', async () => {
    expect((await resolveCheckpoint('run-a', runsRoot)).checkpointDir).toBe(newest);
    expect((await resolveCheckpoint(runDir, runsRoot)).checkpointDir).toBe(newest);
  });
  it('explains what is wrong with other targets', async () => {
    await expect(resolveCheckpoint('no-such-run', runsRoot)).rejects.toThrow(CheckpointTargetError);
    makeCheckpoint(join(runsRoot, 'run-empty'), 1, false);
    await expect(resolveCheckpoint('run-empty', runsRoot)).rejects.toThrow(/no complete checkpoint/);
  });
  it('lets try use an export or model directory directly', async () => {
    const model = join(root, 'model');
    mkdirSync(model, { recursive: true });
    writeFileSync(join(model, 'config.json'), '{}');
    expect(await resolveModelTarget(model, runsRoot)).toBe(model);
    expect(await resolveModelTarget('run-a', runsRoot)).toBe(newest);
  });
});

describe('CLI rendering', () => {
  it('draws a bar that fills with the fraction', () => {
    expect(renderBar(0, 'load', 10)).toBe('[..........]   0% load');
    expect(renderBar(0.5, 'write', 10)).toBe('[#####.....]  50% write');
    expect(renderBar(1.7, 'done', 10)).toBe('[##########] 100% done');
  });
  it('says where the export is and how it was verified', () => {
    const text = describeOutcome({ status: 'completed', out: '/o', verification: { max_abs_logit_diff: 2e-6, tolerance: 1e-3, samples: 4, samples_source: 'train_path' }, messages: [] });
    expect(text).toContain('/o');
    expect(text).toContain('max |Δlogit| 0.00000200 (tolerance 0.00100) on 4 samples from train_path');
  });
});
