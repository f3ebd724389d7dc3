import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findCompleteCheckpoint, listCheckpoints } from '../../electron/services/checkpoints/checkpoint-list';
import { compareRuns } from '../../electron/services/runs/compare-runs';
import { deleteFolder, trashCommand } from '../../electron/services/runs/delete-to-trash';
import { listRuns } from '../../electron/services/runs/run-list';
import { loadRunState } from '../../electron/services/runs/run-state';

const golden = (name: string) => readFileSync(join(__dirname, '..', 'fixtures', 'golden-events', name), 'utf8');

describe('runs and checkpoints from the run folders alone', () => {
  let root = '';
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'tunedesk-runs-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  function makeRun(id: string, events: string, opts: { process?: object; config?: object } = {}) {
    const dir = join(root, id);
    mkdirSync(join(dir, 'checkpoints'), { recursive: true });
    writeFileSync(join(dir, 'events.jsonl'), events);
    writeFileSync(join(dir, 'run.json'), JSON.stringify(opts.config ?? { train_type: 'lora', learning_rate: 0.001 }));
    writeFileSync(join(dir, 'train.log'), 'loading\nstep 1/4 loss 4.1\nKilled\n');
    if (opts.process) writeFileSync(join(dir, 'process.json'), JSON.stringify(opts.process));
    return dir;
  }
  function makeCheckpoint(dir: string, step: number, manifest: boolean, bytes = 1000) {
    const ck = join(dir, 'checkpoints', `step-${String(step).padStart(6, '0')}`);
    mkdirSync(join(ck, 'adapter'), { recursive: true });
    writeFileSync(join(ck, 'adapter', 'adapter_model.safetensors'), Buffer.alloc(bytes));
    if (manifest) writeFileSync(join(ck, 'manifest.json'), JSON.stringify({ format: 'tunedesk-checkpoint', version: 1, step, loss: 3 - step / 10 }));
  }

  it('lists checkpoints with step, loss, size; incomplete ones are marked and never offered', async () => {
    const dir = makeRun('a', golden('completed-run.jsonl'));
    makeCheckpoint(dir, 2, true, 2048);
    makeCheckpoint(dir, 4, false);
    mkdirSync(join(dir, 'checkpoints', '.tmp-step-000006-123'));
    const list = await listCheckpoints(dir);
    expect(list.map((c) => [c.name, c.step, c.complete])).toEqual([
      ['step-000002', 2, true],
      ['step-000004', 4, false],
      ['.tmp-step-000006-123', 6, false],
    ]);
    expect(list[0]!.loss).toBeCloseTo(2.8);
    expect(list[0]!.sizeBytes).toBeGreaterThanOrEqual(2048);
    expect(list[1]!.problem).toMatch(/manifest/);
    expect((await findCompleteCheckpoint(dir))!.step).toBe(2);
    expect(await findCompleteCheckpoint(dir, 4)).toBeNull();
  });

  it('classifies runs from their own events: finished, crashed (process gone), running by hand, queued', async () => {
    makeRun('done', golden('completed-run.jsonl'));
    const gone = { pid: 2 ** 22 + 11, pgid: 2 ** 22 + 11, start_time: 'linux:1', launched_at: 1, argv: ['python'], platform: 'linux', launcher: 'torch' };
    makeRun('crashed', golden('completed-run.jsonl').split('\n').slice(0, 6).join('\n') + '\n{"v":1,"ts":17', { process: gone });
    makeRun('by-hand', golden('completed-run.jsonl').split('\n').slice(0, 3).join('\n') + '\n');
    const stale = makeRun('by-hand-stale', golden('completed-run.jsonl').split('\n').slice(0, 3).join('\n') + '\n');
    utimesSync(join(stale, 'events.jsonl'), new Date(2020, 0, 1), new Date(2020, 0, 1));
    mkdirSync(join(root, 'waiting'));
    writeFileSync(join(root, 'waiting', 'run.json'), '{}');
    mkdirSync(join(root, 'not-a-run'));

    const states = Object.fromEntries((await listRuns(root)).map((r) => [r.runId, r]));
    expect(Object.keys(states).sort()).toEqual(['by-hand', 'by-hand-stale', 'crashed', 'done', 'waiting']);
    expect(states.done!.status).toBe('completed');
    expect(states.crashed!.status).toBe('crashed');
    expect(states['by-hand']!.status).toBe('running');
    expect(states['by-hand-stale']!.status).toBe('crashed');
    expect(states.waiting!.status).toBe('queued');
    const crashed = await loadRunState(join(root, 'crashed'));
    expect(crashed.summary.logTail).toEqual(['loading', 'step 1/4 loss 4.1', 'Killed']);
    expect(crashed.summary.lastCheckpoint).toEqual({ step: 2, path: 'checkpoints/step-000002' });
  });

  it('re-reads only what was appended, and starts over when the events file is replaced', async () => {
    const lines = golden('completed-run.jsonl').split('\n');
    const dir = makeRun('growing', lines.slice(0, 3).join('\n') + '\n');
    expect((await loadRunState(dir)).summary.step).toBe(1);
    appendFileSync(join(dir, 'events.jsonl'), lines.slice(3).join('\n'));
    const grown = await loadRunState(dir);
    expect(grown.summary).toMatchObject({ status: 'completed', step: 4 });
    // A new file under the same name (a run folder deleted and made again) is read from its start.
    rmSync(join(dir, 'events.jsonl'));
    // (longer than what was read, so only the changed start can tell the files apart)
    writeFileSync(join(dir, 'events.jsonl'), golden('cancelled-run.jsonl').repeat(3));
    const replaced = await loadRunState(dir);
    expect(replaced.summary).toMatchObject({ status: 'cancelled', method: 'freeze', bestLoss: 4.0 });
    expect(replaced.summary.lastEval).toEqual({}); // nothing of the completed run's events
  });

  it('counts malformed lines and names the first with its line number', async () => {
    makeRun('messy', ['not json', golden('cancelled-run.jsonl')].join('\n'));
    const state = await loadRunState(join(root, 'messy'));
    expect(state.summary.status).toBe('cancelled');
    expect(state.summary.malformedLines).toBe(1);
    expect(state.problems[0]).toMatch(/events\.jsonl:1: not valid JSON/);
  });

  it('compares runs: metric series aligned by step and the settings that differ', async () => {
    const ev = (step: number, loss: number) => JSON.stringify({ v: 1, ts: step, type: 'metrics', step, epoch: 0, values: { loss } });
    makeRun('r1', [ev(1, 4), ev(2, 3)].join('\n') + '\n', { config: { train_type: 'lora', learning_rate: 0.001, max_len: 64, output_dir: '/x/r1' } });
    makeRun('r2', [ev(2, 3.5), ev(3, 3.1)].join('\n') + '\n', { config: { train_type: 'lora', learning_rate: 0.002, max_len: 64, output_dir: '/x/r2' } });
    const cmp = await compareRuns(root, ['r1', 'r2']);
    expect(cmp.steps).toEqual([1, 2, 3]);
    expect(cmp.series.loss).toEqual({ r1: [4, 3, null], r2: [null, 3.5, 3.1] });
    expect(cmp.configDiff).toEqual([{ key: 'learning_rate', values: { r1: 0.001, r2: 0.002 } }]);
  });

  it('compares a LoRA and a Freeze run: a setting of the method a run did not use never shows as its value', async () => {
    const ev = JSON.stringify({ v: 1, ts: 1, type: 'metrics', step: 1, epoch: 0, values: { loss: 4 } }) + '\n';
    // run.json holds every trainer flag, defaults of the other methods included.
    const common = { learning_rate: 0.001, lora_dim: 8, freeze_module_name: 'layers.27.', pre_seq_len: 16, trainable_layers: null };
    makeRun('lo', ev, { config: { ...common, train_type: 'lora' } });
    makeRun('fr', ev, { config: { ...common, train_type: 'freeze', trainable_layers: 2 } });
    const cmp = await compareRuns(root, ['lo', 'fr']);
    const byKey = Object.fromEntries(cmp.configDiff.map((d) => [d.key, d.values]));
    expect(byKey.train_type).toEqual({ lo: 'lora', fr: 'freeze' });
    expect(byKey.lora_dim).toEqual({ lo: 8 }); // the Freeze run has no LoRA rank
    expect(byKey.freeze_module_name).toEqual({ fr: 'layers.27.' }); // nor the LoRA run a Freeze module list
    expect(byKey.trainable_layers).toEqual({ fr: 2 });
    expect(byKey.pre_seq_len).toBeUndefined(); // neither used P-Tuning
  });

  it('deletes permanently only when asked, and builds each platform trash command', async () => {
    const dir = makeRun('old', golden('completed-run.jsonl'));
    expect(await deleteFolder(dir, { permanent: true })).toBe('deleted');
    expect(await listRuns(root)).toEqual([]);
    expect(trashCommand('/r/a', 'linux')).toEqual({ file: 'gio', args: ['trash', '--', '/r/a'] });
    expect(trashCommand('/r/a "b"', 'darwin')!.args[1]).toBe('tell application "Finder" to delete POSIX file "/r/a \\"b\\""');
    expect(trashCommand("C:\\r\\it's", 'win32')!.args.at(-1)).toContain("'C:\\r\\it''s'");
    expect(trashCommand('/r/a', 'aix')).toBeNull();
  });
});
