// The app's one-click convert-weights, against the real trainer Python and through the real
// dispatcher (path guard included): a pickle-only folder gets a safetensors copy beside its .bin
// and inspection no longer asks for it; folders that do not need a copy are refused before the
// trainer runs; a .bin that would run code is refused as the trainer's message + what to do, and
// its code never runs; one conversion per folder at a time.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createApiContext, type ApiContext } from '../../electron/api/context';
import { dispatch } from '../../electron/api/dispatch';
import { convertWeights, ConvertWeightsError, resultFrom } from '../../electron/services/models/convert-weights';
import { inspectModel } from '../../electron/services/models/inspect-model';
import { REPO_ROOT, trainerPythonPath, type TrainerRunOptions, type TrainerRunResult } from '../../electron/services/python-env/trainer-python';

const root = mkdtempSync(join(tmpdir(), 'tunedesk-convert-weights-'));
const dataDir = join(root, 'data');
const MARKER = join(root, 'EXECUTED');
afterAll(() => rmSync(root, { recursive: true, force: true }));

const CONFIG = { model_type: 'llama', architectures: ['LlamaForCausalLM'], hidden_size: 16, intermediate_size: 32, num_hidden_layers: 2, num_attention_heads: 2, num_key_value_heads: 2, vocab_size: 64, torch_dtype: 'float32' };

/** Writes `pytorch_model.bin` in `dir` with the trainer's Python: a plain state dict, or a pickle that runs code when loaded. */
function writeBin(dir: string, kind: 'tensors' | 'evil'): void {
  const script =
    kind === 'tensors'
      ? 'import sys, torch\ntorch.manual_seed(0)\ntorch.save({"model.embed_tokens.weight": torch.randn(64, 16), "model.norm.weight": torch.ones(16), "lm_head.weight": torch.randn(64, 16)}, sys.argv[1])\n'
      : `import os, sys, torch\nclass Evil:\n    def __reduce__(self):\n        return (os.system, (${JSON.stringify(`touch ${MARKER}`)},))\ntorch.save({"w": Evil()}, sys.argv[1])\n`;
  execFileSync(trainerPythonPath(), ['-c', script, join(dir, 'pytorch_model.bin')], { stdio: 'pipe' });
}

function modelDir(name: string, kind: 'tensors' | 'evil' | 'none', parent = join(dataDir, 'models')): string {
  const dir = join(parent, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(CONFIG));
  if (kind !== 'none') writeBin(dir, kind);
  return dir;
}

/** The trainer, recorded. */
function recorder(run?: (args: string[], options: TrainerRunOptions) => Promise<TrainerRunResult>) {
  const commands: string[][] = [];
  return {
    commands,
    run: (args: string[], options: TrainerRunOptions): Promise<TrainerRunResult> => {
      commands.push(args);
      return run ? run(args, options) : Promise.reject(new Error('the trainer must not run'));
    },
  };
}

let ctx: ApiContext;
beforeAll(() => {
  mkdirSync(dataDir, { recursive: true });
  ctx = createApiContext({ mode: 'browser', runsRoot: join(root, 'runs'), dataDir, appRoot: REPO_ROOT });
});
afterAll(() => ctx.shutdown());
afterEach(() => expect(existsSync(MARKER), 'code in a weight file ran').toBe(false));

describe('models.convertWeights', () => {
  it('writes a safetensors copy beside the .bin, keeps the .bin, and inspection stops asking for it', async () => {
    const dir = modelDir('tiny-llama', 'tensors');
    const bin = readFileSync(join(dir, 'pytorch_model.bin'));
    const before = await inspectModel(dir);
    expect(before.needs.some((n) => n.startsWith('needs convert-weights'))).toBe(true);

    const answer = await dispatch(ctx, 'models.convertWeights', { modelDir: dir });

    expect(answer).toEqual({
      ok: true,
      value: { modelDir: dir, converted: true, sources: ['pytorch_model.bin'], shards: ['model.safetensors'], tensors: 3, bytes: (64 * 16 * 2 + 16) * 4, note: '' },
    });
    expect(readFileSync(join(dir, 'pytorch_model.bin')).equals(bin)).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(['config.json', 'model.safetensors', 'pytorch_model.bin']);
    const after = await inspectModel(dir);
    expect(after.needs).toEqual([]);
    expect(after.paramsSource).toBe('safetensors');
    expect(after.params).toBe(64 * 16 * 2 + 16);

    // Converted now: a second call is refused, and writes nothing.
    const again = await dispatch(ctx, 'models.convertWeights', { modelDir: dir });
    expect(again).toMatchObject({ ok: false, error: { code: 'model_dir', field: 'modelDir', message: expect.stringMatching(/needs no conversion/) } });
    expect(readdirSync(dir).sort()).toEqual(['config.json', 'model.safetensors', 'pytorch_model.bin']);
  });

  it('refuses folders that need no copy before the trainer runs: no weights, not a model, outside the allowed folders', async () => {
    const noWeights = modelDir('config-only', 'none');
    const trainer = recorder();
    const refused = await convertWeights(noWeights, { run: trainer.run }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ConvertWeightsError);
    expect(refused).toMatchObject({ reason: 'not-needed', message: expect.stringMatching(/needs no conversion/), hint: expect.stringMatching(/Nothing to do/) });

    const notModel = join(dataDir, 'just-a-folder');
    mkdirSync(notModel);
    writeFileSync(join(notModel, 'pytorch_model.bin'), 'x');
    expect(await convertWeights(notModel, { run: trainer.run }).catch((e: unknown) => e)).toMatchObject({ reason: 'not-needed', message: expect.stringMatching(/no config\.json/) });
    expect(trainer.commands).toEqual([]);
    expect(readdirSync(notModel)).toEqual(['pytorch_model.bin']);

    // The path guard runs first: a pickle-only model outside the allowed folders is never touched.
    const outside = modelDir('outside', 'tensors', join(root, 'elsewhere'));
    const answer = await dispatch(ctx, 'models.convertWeights', { modelDir: outside });
    expect(answer).toMatchObject({ ok: false, error: { code: 'path_refused', field: 'modelDir' } });
    expect(readdirSync(outside).sort()).toEqual(['config.json', 'pytorch_model.bin']);
  });

  it('a .bin that would run code: the trainer refuses it, answered as its message + what to do (no traceback), nothing written', async () => {
    const dir = modelDir('evil', 'evil');
    const answer = await dispatch(ctx, 'models.convertWeights', { modelDir: dir });
    expect(answer.ok).toBe(false);
    if (answer.ok) return;
    expect(answer.error).toMatchObject({ code: 'model_dir', field: 'modelDir' });
    expect(answer.error.message).toMatch(/pytorch_model\.bin is not a plain tensor file.*does not run code from weight files/);
    expect(answer.error.hint).toMatch(/safetensors copy of this model/);
    expect(answer.error.message).not.toMatch(/Traceback|File "/);
    expect(readdirSync(dir).sort()).toEqual(['config.json', 'pytorch_model.bin']);
  });

  it('one conversion per folder at a time; another folder may convert meanwhile', async () => {
    const first = modelDir('busy-a', 'tensors');
    const second = modelDir('busy-b', 'tensors');
    let finish: (r: TrainerRunResult) => void = () => {};
    const slow = recorder(() => new Promise<TrainerRunResult>((resolve) => (finish = resolve)));
    const running = convertWeights(first, { run: slow.run });
    await expect.poll(() => slow.commands.length).toBe(1);
    expect(slow.commands[0]).toEqual(['convert-weights', first, '--json']);

    expect(await convertWeights(first, { run: slow.run }).catch((e: unknown) => e)).toMatchObject({ reason: 'busy', hint: expect.stringMatching(/Wait/) });
    const busy = await dispatch(ctx, 'models.convertWeights', { modelDir: first });
    expect(busy).toMatchObject({ ok: false, error: { code: 'conflict' } });
    const other = await dispatch(ctx, 'models.convertWeights', { modelDir: second });
    expect(other).toMatchObject({ ok: true, value: { converted: true, shards: ['model.safetensors'] } });

    const ok = JSON.stringify({ ok: true, model_dir: first, converted: true, sources: ['pytorch_model.bin'], shards: ['model.safetensors'], tensors: 3, bytes: 8256, note: '' });
    finish({ stdout: `${ok}\n`, stderr: '', exitCode: 0, timedOut: false, startError: null, elapsedMs: 1 });
    expect(await running).toMatchObject({ modelDir: first, converted: true });
    // Free again once it ended.
    expect(await dispatch(ctx, 'models.convertWeights', { modelDir: first })).toMatchObject({ ok: true, value: { converted: true } });
  });
});

describe('resultFrom: what the trainer answered, in plain words', () => {
  const base: TrainerRunResult = { stdout: '', stderr: '', exitCode: 1, timedOut: false, startError: null, elapsedMs: 1 };
  const failure = (result: TrainerRunResult) => {
    try {
      resultFrom(result);
    } catch (e) {
      expect(e).toBeInstanceOf(ConvertWeightsError);
      return e as ConvertWeightsError;
    }
    throw new Error('expected a failure');
  };

  it('the classified error as message + hint; the reason follows its kind', () => {
    const line = (kind: string) => JSON.stringify({ ok: false, error: { kind, message: `m-${kind}`, hint: `h-${kind}` } });
    expect(failure({ ...base, stdout: `noise\n${line('disk_full')}\n` })).toMatchObject({ reason: 'config', message: 'm-disk_full', hint: 'h-disk_full' });
    expect(failure({ ...base, stdout: line('dependency') })).toMatchObject({ reason: 'dependency', message: 'm-dependency' });
  });

  it('no Python, a timeout, or output that is not the JSON line: said so, never the traceback', () => {
    expect(failure({ ...base, exitCode: null, startError: 'ENOENT' })).toMatchObject({ reason: 'trainer', hint: expect.stringMatching(/setup:python/) });
    expect(failure({ ...base, exitCode: null, timedOut: true }).message).toMatch(/longer than 60 minutes/);
    const crashed = failure({ ...base, stderr: 'Traceback (most recent call last):\n  File "x.py", line 1\nImportError: no torch' });
    expect(crashed.message).toMatch(/answered unexpectedly \(ImportError: no torch\)/);
    expect(crashed.message).not.toMatch(/Traceback/);
  });
});
