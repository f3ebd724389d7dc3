// ChatGLM-6B runs with its legacy environment's python, by consent: the run manager and
// `tunedesk train` pick that interpreter when the consent covers the model's current files, and
// refuse (what, which files, what to do) without it or after a file changed.
//
// The legacy environment here is a STAND-IN: TUNEDESK_LEGACY_CHATGLM_ENV points at a folder whose
// bin/python is a symlink to the main venv's python (with its pyvenv.cfg and lib/ beside it, so
// Python treats the folder as a venv of its own). The real environment (transformers 4.33, torch
// 2.0.1) cannot be built offline. The model is a tiny ChatGLM-6B-shaped checkpoint whose remote code
// runs on transformers 5 (python-runtime/tests/helpers/legacy_chatglm_fixtures.py builds both).
import { execa } from 'execa';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, RUNTIME_DIR, trainerPythonPath } from '../../electron/services/python-env/trainer-python';
import { chooseTrainerPython, LEGACY_ENV_VAR } from '../../electron/services/legacy-chatglm/trainer-interpreter';
import { RunManager } from '../../electron/services/runs/run-manager';
import { killLeftoverRuns } from '../helpers/runs-cleanup';
import { ARTIFACTS, tinyConfig, TRAINER_ENV } from '../helpers/runs-helpers';

let root = '';
let model = '';
let envDir = '';
let env: Record<string, string> = {};
const FILES = ['configuration_chatglm.py', 'modeling_chatglm.py', 'tokenization_chatglm.py'];

const agree = () =>
  execa(trainerPythonPath(), ['-m', 'tunedesk', 'legacy-env', '--model', model, '--create', '--i-agree-to-run', model, '--json'], {
    cwd: RUNTIME_DIR,
    env,
  });
const cli = (args: string[]) =>
  execa(process.execPath, [join(REPO_ROOT, 'electron', 'cli', 'bin.mjs'), ...args, '--runs-dir', join(root, 'cli-runs')], {
    reject: false,
    env: { ...env, TUNEDESK_DATA_DIR: join(root, '.data') },
  });

beforeAll(async () => {
  root = mkdtempSync(join(ARTIFACTS, 'legacy-chatglm-'));
  model = join(root, 'chatglm-6b-tiny');
  envDir = join(root, 'venv-legacy-chatglm');
  const build = [
    'import sys; from pathlib import Path',
    "sys.path.insert(0, 'tests')",
    'from helpers.legacy_chatglm_fixtures import make_standin_env, write_legacy_chatglm_model',
    'write_legacy_chatglm_model(Path(sys.argv[1])); make_standin_env(Path(sys.argv[2]))',
  ].join('\n');
  await execa(trainerPythonPath(), ['-c', build, model, envDir], { cwd: RUNTIME_DIR, env: { OMP_NUM_THREADS: '1' } });
  env = { ...TRAINER_ENV, OMP_NUM_THREADS: '1', [LEGACY_ENV_VAR]: envDir, HF_MODULES_CACHE: join(root, 'hf-modules') };
});
afterAll(() => {
  killLeftoverRuns(root);
  killLeftoverRuns(join(root, 'cli-runs'));
  rmSync(root, { recursive: true, force: true, maxRetries: 5 });
});

describe('ChatGLM-6B and the legacy interpreter', () => {
  it('without consent: the trainer python, and a refusal naming the files and the command', async () => {
    const choice = await chooseTrainerPython({ model_name_or_path: model }, trainerPythonPath(), env);
    expect(choice.legacy).toBe(false);
    expect(choice.python).toBe(trainerPythonPath());
    expect(choice.refusal?.kind).toBe('config');
    expect(choice.refusal?.files.map((f) => f.path).sort()).toEqual(FILES);
    for (const name of FILES) expect(choice.refusal?.message).toContain(name);
    expect(choice.refusal?.hint).toContain(`legacy-env --model ${model} --create --i-agree-to-run ${model}`);

    const refused = await cli(['train', '--config', writeConfig('refused.json'), '--json']);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toMatch(/no consent for the current contents/);
    expect(refused.stderr).toContain('modeling_chatglm.py  sha256 ');
    expect(refused.stderr).toMatch(/what to do: .*--i-agree-to-run/);
  });

  it('other models keep the trainer python without asking anything', async () => {
    const choice = await chooseTrainerPython({ model_name_or_path: join(root, 'no-such-model') }, '/some/python', env);
    expect(choice).toEqual({ python: '/some/python', legacy: false, refusal: null, env: {} });
  });

  it('with consent the run manager starts the legacy python and the run trains to a checkpoint', async () => {
    expect((await agree()).exitCode).toBe(0);
    const choice = await chooseTrainerPython({ model_name_or_path: model }, trainerPythonPath(), env);
    expect(choice).toMatchObject({ python: join(envDir, 'bin', 'python'), legacy: true, refusal: null });

    const manager = new RunManager({ runsRoot: join(root, 'runs'), env, telemetry: null, pollMs: 200 });
    await manager.init();
    try {
      const summary = await manager.start(tinyConfig(model, { max_steps: 2, save_model_step: 2, max_len: 64, max_src_len: 32 }));
      const final = await manager.waitForEnd(summary.runId);
      const runDir = manager.runDir(summary.runId);
      expect(final.status, readFileSync(join(runDir, 'train.log'), 'utf8').slice(-2000)).toBe('completed');
      const processJson = JSON.parse(readFileSync(join(runDir, 'process.json'), 'utf8')) as { argv: string[] };
      expect(processJson.argv[0]).toBe(join(envDir, 'bin', 'python'));
      expect(readFileSync(join(runDir, 'events.jsonl'), 'utf8')).toContain('trust_remote_code, by your consent');
      expect(readFileSync(join(runDir, 'checkpoints', 'step-000002', 'manifest.json'), 'utf8')).toContain('"step"');
    } finally {
      await manager.close();
    }
  });

  it('a changed modeling file: refused again, and a run started anyway fails classified', async () => {
    appendFileSync(join(model, 'modeling_chatglm.py'), '# changed after the consent\n');
    const choice = await chooseTrainerPython({ model_name_or_path: model }, trainerPythonPath(), env);
    expect(choice.legacy).toBe(false);
    expect(choice.refusal?.message).toContain('modeling_chatglm.py');

    const manager = new RunManager({ runsRoot: join(root, 'runs'), env, telemetry: null, pollMs: 200 });
    await manager.init();
    try {
      const summary = await manager.start(tinyConfig(model, { max_steps: 2 }));
      const final = await manager.waitForEnd(summary.runId);
      expect(final.status).toBe('failed');
      expect(final.error?.kind).toBe('config');
      expect(final.error?.message).toContain('changed since you agreed: modeling_chatglm.py');
    } finally {
      await manager.close();
    }
  });
});

function writeConfig(name: string): string {
  const path = join(root, name);
  writeFileSync(path, JSON.stringify(tinyConfig(model, { max_steps: 2 })));
  return path;
}
