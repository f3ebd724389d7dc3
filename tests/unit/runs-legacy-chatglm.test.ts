// Which models send a run to the ChatGLM-6B legacy environment (decided from config.json, no Python),
// where that environment is, and how a refusal reads in a terminal. The interpreter choice itself,
// with a real consent, is tested in tests/integration/runs-legacy-chatglm.test.ts.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RUNTIME_DIR } from '../../electron/services/python-env/trainer-python';
import { chooseTrainerPython, isChatglm6b, LEGACY_ENV_VAR, legacyChatglmEnvDir, refusalLines } from '../../electron/services/legacy-chatglm/trainer-interpreter';

const root = mkdtempSync(join(tmpdir(), 'tunedesk-legacy-unit-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function model(name: string, config: Record<string, unknown>): string {
  const dir = join(root, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}

describe('ChatGLM-6B legacy interpreter', () => {
  it('recognises only the first generation', async () => {
    expect(await isChatglm6b(model('glm1', { model_type: 'chatglm', position_encoding_2d: true, inner_hidden_size: 16384 }))).toBe(true);
    expect(await isChatglm6b(model('glm2', { model_type: 'chatglm', multi_query_attention: true, padded_vocab_size: 65024 }))).toBe(false);
    expect(await isChatglm6b(model('llama', { model_type: 'llama' }))).toBe(false);
    expect(await isChatglm6b(join(root, 'missing'))).toBe(false);
  });

  it('the environment folder: the env var, else python-runtime/.venv-legacy-chatglm', () => {
    expect(legacyChatglmEnvDir({})).toBe(join(RUNTIME_DIR, '.venv-legacy-chatglm'));
    expect(legacyChatglmEnvDir({ [LEGACY_ENV_VAR]: '/opt/legacy' })).toBe('/opt/legacy');
  });

  it('a model that is not ChatGLM-6B keeps the given python without running anything', async () => {
    const choice = await chooseTrainerPython({ model_name_or_path: join(root, 'llama') }, '/no/such/python');
    expect(choice).toEqual({ python: '/no/such/python', legacy: false, refusal: null, env: {} });
  });

  it('a ChatGLM-6B check that cannot run is a refusal, not a crash', async () => {
    const choice = await chooseTrainerPython({ model_name_or_path: join(root, 'glm1') }, '/no/such/python');
    expect(choice.legacy).toBe(false);
    expect(choice.refusal?.kind).toBe('dependency');
    expect(choice.refusal?.hint).toMatch(/setup:python/);
  });

  it('prints what, which files (full SHA-256) and what to do', () => {
    const lines = refusalLines({ kind: 'config', message: 'no consent', hint: 'run legacy-env', files: [{ path: 'modeling_chatglm.py', sha256: 'ab'.repeat(32) }] });
    expect(lines).toEqual([
      'error (config): no consent',
      '  files that would run with trust_remote_code:',
      `    modeling_chatglm.py  sha256 ${'ab'.repeat(32)}`,
      '  what to do: run legacy-env',
    ]);
  });
});
