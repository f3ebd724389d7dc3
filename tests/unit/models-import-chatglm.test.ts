// The app's one-click import-chatglm: only for ChatGLM2/3 folders, written into the data folder's
// models/, the trainer's JSON answer (or refusal) as the result, an earlier import reused.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { importChatglm, ImportChatglmError, importTarget } from '../../electron/services/models/import-chatglm';
import type { TrainerRunOptions, TrainerRunResult } from '../../electron/services/python-env/trainer-python';
import { CHATGLM2_6B_CONFIG } from '../helpers/estimator-calibration-rows';

const root = mkdtempSync(join(tmpdir(), 'tunedesk-import-chatglm-'));
const dataDir = join(root, 'data');
afterAll(() => rmSync(root, { recursive: true, force: true }));

function folder(name: string, files: Record<string, unknown>): string {
  const dir = join(dataDir, 'models', name);
  mkdirSync(dir, { recursive: true });
  for (const [file, content] of Object.entries(files)) writeFileSync(join(dir, file), typeof content === 'string' ? content : JSON.stringify(content));
  return dir;
}

const glm3 = () =>
  folder('THUDM--chatglm3-6b', { 'config.json': { ...CHATGLM2_6B_CONFIG, seq_length: 8192 }, 'tokenization_chatglm.py': 'role_special_tokens = ["<|system|>", "<|user|>", "<|assistant|>", "<|observation|>"]' });

const answer = (stdout: string, exitCode = 0): TrainerRunResult => ({ stdout, stderr: '', exitCode, timedOut: false, startError: null }) as unknown as TrainerRunResult;

describe('import-chatglm from the app', () => {
  it('runs import-chatglm into <data dir>/models/<name>-glm and returns the native folder', async () => {
    const dir = glm3();
    const calls: string[][] = [];
    const run = (args: string[], _options: TrainerRunOptions) => {
      calls.push(args);
      return Promise.resolve(answer(JSON.stringify({ ok: true, summary: { model: 'chatglm3-6b', parameters: 6243584000, notes: ['n'] } })));
    };
    const result = await importChatglm(dir, dataDir, { run });
    expect(calls).toEqual([['import-chatglm', dir, '--out', join(dataDir, 'models', 'THUDM--chatglm3-6b-glm'), '--json']]);
    expect(result).toEqual({ outDir: importTarget(dataDir, dir), reused: false, model: 'chatglm3-6b', parameters: 6243584000, notes: ['n'] });
  });

  it("passes on the trainer's refusal as message and what to do", async () => {
    const run = () => Promise.resolve(answer(JSON.stringify({ ok: false, error: { kind: 'config', message: 'tokenizer.model is missing', hint: 'download it' } }), 1));
    await expect(importChatglm(glm3(), dataDir, { run })).rejects.toMatchObject({ reason: 'config', message: 'tokenizer.model is missing', hint: 'download it' });
  });

  it('refuses folders that need no import, before the trainer runs', async () => {
    const llama = folder('llama', { 'config.json': { model_type: 'llama', hidden_size: 16, intermediate_size: 32, num_hidden_layers: 2, num_attention_heads: 2, vocab_size: 64 } });
    let ran = false;
    const run = () => {
      ran = true;
      return Promise.resolve(answer('{}'));
    };
    await expect(importChatglm(llama, dataDir, { run })).rejects.toBeInstanceOf(ImportChatglmError);
    expect(ran).toBe(false);
  });

  it('reuses an earlier import', async () => {
    const dir = glm3();
    folder('THUDM--chatglm3-6b-glm', { 'config.json': { model_type: 'glm', hidden_size: 16, intermediate_size: 32, num_hidden_layers: 2, num_attention_heads: 2, num_key_value_heads: 2, vocab_size: 64 } });
    const run = () => Promise.reject(new Error('must not run'));
    expect(await importChatglm(dir, dataDir, { run })).toMatchObject({ outDir: importTarget(dataDir, dir), reused: true });
  });
});
