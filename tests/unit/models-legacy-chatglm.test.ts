// The app's consent to ChatGLM-6B's legacy environment, against the real `legacy-env` of the
// trainer's Python: the status lists the files that would run (never running them), the agreement
// is bound to the hashes the user saw, builds the right command line, and an install that cannot
// happen (no network: PIP_NO_INDEX here) ends in the trainer's classified message, no traceback.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../electron/api/api-error';
import { legacyChatglmHandlers } from '../../electron/api/bindings/legacy-chatglm';
import {
  agreeLegacyChatglm,
  CREATE_TIMEOUT_MS,
  fileChanges,
  LegacyChatglmError,
  legacyChatglmStatus,
  type LegacyEnvOptions,
} from '../../electron/services/legacy-chatglm/legacy-chatglm-env';
import { runTrainerPython, type TrainerRunOptions, type TrainerRunResult } from '../../electron/services/python-env/trainer-python';
import { legacyChatglmReady } from '../../electron/services/recommend/recommend-service';
import { LEGACY_ENV_VAR } from '../../electron/services/legacy-chatglm/trainer-interpreter';
import type { ApiContext } from '../../electron/api/context';

const root = mkdtempSync(join(tmpdir(), 'tunedesk-legacy-consent-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const MARKER = join(root, 'EXECUTED');
const FILES = ['configuration_chatglm.py', 'modeling_chatglm.py', 'quantization.py'];

/** A ChatGLM-6B-shaped folder (config only, pickle weights) whose Python files leave a mark if they ever run. */
function chatglm6b(name: string): string {
  const dir = join(root, name);
  mkdirSync(dir);
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({
      model_type: 'chatglm', position_encoding_2d: true, inner_hidden_size: 16384, hidden_size: 4096, num_layers: 28, num_attention_heads: 32,
      vocab_size: 130528, max_sequence_length: 2048,
      auto_map: { AutoConfig: 'configuration_chatglm.ChatGLMConfig', AutoModel: 'modeling_chatglm.ChatGLMForConditionalGeneration' },
    }),
  );
  const mark = `open(${JSON.stringify(MARKER)}, 'w').write(__name__)\n`;
  writeFileSync(join(dir, 'configuration_chatglm.py'), mark);
  writeFileSync(join(dir, 'modeling_chatglm.py'), `from .quantization import quantize\n${mark}`);
  writeFileSync(join(dir, 'quantization.py'), mark);
  writeFileSync(join(dir, 'pytorch_model-00001-of-00008.bin'), '');
  return dir;
}

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const seenOf = (dir: string) => FILES.map((name) => ({ name, sha256: sha(join(dir, name)) }));

/** The real trainer, recorded, and offline whatever the machine (pip may not reach an index). */
function recorder() {
  const commands: { args: string[]; options: TrainerRunOptions }[] = [];
  const run = (args: string[], options: TrainerRunOptions): Promise<TrainerRunResult> => {
    commands.push({ args, options });
    return runTrainerPython(args, { ...options, env: { ...options.env, PIP_NO_INDEX: '1', PIP_FIND_LINKS: '' } });
  };
  return { commands, run };
}

let envDir = '';
let options: LegacyEnvOptions = {};
beforeEach(() => {
  envDir = mkdtempSync(join(root, 'env-'));
  rmSync(envDir, { recursive: true });
  options = { env: { [LEGACY_ENV_VAR]: envDir } };
});
afterEach(() => {
  expect(existsSync(MARKER), "the model's own Python ran").toBe(false);
});

async function failure(promise: Promise<unknown>): Promise<LegacyChatglmError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LegacyChatglmError);
  return error as LegacyChatglmError;
}

describe('ChatGLM-6B legacy environment: status', () => {
  it('explains, lists exactly the files that would run (size, SHA-256), the weights note, no consent', async () => {
    const model = chatglm6b('status');
    const status = await legacyChatglmStatus(model, options);
    expect(status.files.map((f) => f.name)).toEqual(FILES);
    for (const f of status.files) {
      expect(f.sha256).toBe(sha(join(model, f.name)));
      expect(f.bytes).toBe(readFileSync(join(model, f.name)).length);
    }
    expect(status.explanation).toMatch(/its own Python code.*transformers 4\.27-4\.33, in a separate environment/);
    expect(status.env).toMatchObject({ exists: false, path: envDir });
    expect(status.env.pins).toContain('transformers==4.33.3');
    expect(status).toMatchObject({ modelDir: model, consent: false, ready: false, created: false });
    expect(status.weightsNote).toMatch(/convert-weights/);
  });

  it('another model is refused without running Python', async () => {
    const dir = join(root, 'llama');
    mkdirSync(dir);
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'llama' }));
    const { commands, run } = recorder();
    const error = await failure(legacyChatglmStatus(dir, { ...options, run }));
    expect(error.reason).toBe('not-chatglm-6b');
    expect(commands).toEqual([]);
  });
});

describe('ChatGLM-6B legacy environment: agreeing', () => {
  it('refuses when a file changed since the user looked, and installs nothing', async () => {
    const model = chatglm6b('changed');
    const seen = seenOf(model);
    writeFileSync(join(model, 'modeling_chatglm.py'), 'from .quantization import quantize\n# edited after the user looked\n');
    const { commands, run } = recorder();
    const error = await failure(agreeLegacyChatglm(model, seen, { ...options, run }));
    expect(error.reason).toBe('changed');
    expect(error.message).toBe("The model's Python files changed since you looked: modeling_chatglm.py changed. Nothing was agreed to.");
    expect(commands.map((c) => c.args)).not.toContainEqual(expect.arrayContaining(['--create']));
    expect(fileChanges(seen.slice(1), seenOf(model))).toContain('configuration_chatglm.py is new');
    expect(fileChanges(seen, seen.slice(1))).toEqual(['configuration_chatglm.py is gone']);
  });

  it('runs legacy-env --create with the consent for that folder; offline it fails with what to do, no traceback', async () => {
    const model = chatglm6b('offline');
    const { commands, run } = recorder();
    const error = await failure(agreeLegacyChatglm(model, seenOf(model), { ...options, run }));
    const create = commands.at(-1)!;
    const shown = JSON.stringify(Object.fromEntries(seenOf(model).map((f) => [f.name, f.sha256])));
    expect(create.args).toEqual(['legacy-env', '--model', model, '--create', '--i-agree-to-run', model, '--agreed-files', shown, '--env-dir', envDir, '--json']);
    expect(create.options.timeoutMs).toBe(CREATE_TIMEOUT_MS);
    expect(create.options.env).toMatchObject({ [LEGACY_ENV_VAR]: envDir });
    expect(error.reason).toBe('dependency');
    // The venv's Python is 3.11 here; another one would be refused by version (also a dependency error).
    expect(error.message).toMatch(/Could not install the legacy ChatGLM-6B packages|needs? Python 3\.8-3\.11/);
    expect(error.hint).toMatch(/internet access|Install Python 3\.11/);
    expect(`${error.message}${error.hint}`).not.toMatch(/Traceback/);
    expect(existsSync(envDir)).toBe(false); // all or nothing
    expect((await legacyChatglmStatus(model, options)).consent).toBe(false);
  });

  it('with the environment there, records the consent for exactly these files; a later edit revokes it', async () => {
    const model = chatglm6b('agree');
    mkdirSync(join(envDir, 'bin'), { recursive: true });
    writeFileSync(join(envDir, 'bin', 'python'), ''); // a stand-in: legacy-env only checks that it exists
    const status = await agreeLegacyChatglm(model, seenOf(model), options);
    expect(status).toMatchObject({ consent: true, ready: true, created: false, env: { exists: true } });
    vi.stubEnv(LEGACY_ENV_VAR, envDir);
    try {
      expect(await legacyChatglmReady(model)).toBe(true);
      writeFileSync(join(model, 'quantization.py'), '# changed\n');
      expect(await legacyChatglmReady(model)).toBe(false);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('a file changed between the quick check and the recording: legacy-env refuses it, records nothing', async () => {
    const model = chatglm6b('race');
    const seen = seenOf(model);
    mkdirSync(join(envDir, 'bin'), { recursive: true });
    writeFileSync(join(envDir, 'bin', 'python'), ''); // the environment exists: only the consent is at stake
    const real = recorder();
    const run: LegacyEnvOptions['run'] = async (args, opts) => {
      if (args.includes('--create')) writeFileSync(join(model, 'modeling_chatglm.py'), '# edited after the quick check\n');
      return real.run(args, opts); // the real legacy-env, with the --agreed-files the user saw
    };
    const error = await failure(agreeLegacyChatglm(model, seen, { ...options, run }));
    expect(error.reason).toBe('changed');
    expect(error.message).toMatch(/modeling_chatglm\.py changed/);
    expect(existsSync(join(envDir, 'tunedesk-consent.json'))).toBe(false);
  });

  it('one creation at a time', async () => {
    const model = chatglm6b('busy');
    let release = () => {};
    let started = () => {};
    const running = new Promise<void>((resolve) => (started = resolve));
    const offline = recorder();
    let held = false;
    const run: LegacyEnvOptions['run'] = (args, opts) => {
      if (held) return offline.run(args, opts);
      held = true; // hold the first command until the second agreement was refused
      return new Promise((resolve) => {
        release = () => resolve(offline.run(args, opts));
        started();
      });
    };
    const first = agreeLegacyChatglm(model, seenOf(model), { ...options, run });
    await running;
    const second = await failure(agreeLegacyChatglm(model, seenOf(model), options));
    expect(second.reason).toBe('busy');
    release();
    await first.catch(() => undefined);
    expect(await legacyChatglmStatus(model, options)).toMatchObject({ consent: false }); // and the lock is free again
    expect((await failure(agreeLegacyChatglm(model, [], options))).reason).toBe('changed');
  });
});

describe('ChatGLM-6B legacy environment: API binding', () => {
  it('maps the errors to API errors with a hint (changed files: conflict)', async () => {
    const model = chatglm6b('binding');
    vi.stubEnv(LEGACY_ENV_VAR, envDir);
    try {
      const stale = seenOf(model).map((f) => ({ ...f, sha256: 'f'.repeat(64) }));
      const error = await Promise.resolve(legacyChatglmHandlers['models.legacyChatglmAgree']({ modelDir: model, files: stale }, {} as ApiContext)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ApiError);
      expect((error as ApiError).toBody()).toMatchObject({ code: 'conflict', field: 'files', hint: expect.stringMatching(/agree again/) });
      const status = await legacyChatglmHandlers['models.legacyChatglm']({ modelDir: model }, {} as ApiContext);
      expect(status.files).toHaveLength(3);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
