// ChatGLM-6B (the first generation) trains only in its legacy environment (transformers 4.33,
// python-runtime/.venv-legacy-chatglm), by the user's recorded consent to exactly the checkpoint's
// current Python files (`python -m tunedesk legacy-env`). This picks the interpreter of a run:
// the legacy environment's when the model is ChatGLM-6B and both exist, else the trainer's own.
// The consent is read through `legacy-env --json` (one source of truth for the files, hashes and
// where the consent lives); the trainer checks it again before running anything.
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { chatglmGeneration } from '../models/chatglm-generation';
import type { RawConfig } from '../models/config-arch';
import { RUNTIME_DIR, runTrainerPython, venvPython } from '../python-env/trainer-python';
import type { TrainerConfig } from '../runs/run-files';

/** Names another folder for the legacy environment (tests point it at a stand-in). */
export const LEGACY_ENV_VAR = 'TUNEDESK_LEGACY_CHATGLM_ENV';

export function legacyChatglmEnvDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env[LEGACY_ENV_VAR] || join(RUNTIME_DIR, '.venv-legacy-chatglm'));
}

/** A file of the checkpoint that would run with trust_remote_code. */
export interface RemoteCodeFile {
  path: string;
  sha256: string;
}

/** Why a ChatGLM-6B run cannot use the legacy environment, in the trainer's error shape. */
export interface LegacyRefusal {
  kind: 'config' | 'dependency';
  message: string;
  hint: string;
  files: RemoteCodeFile[];
}

export interface InterpreterChoice {
  python: string;
  /** True when `python` is the legacy environment's (ChatGLM-6B with a valid consent). */
  legacy: boolean;
  /** ChatGLM-6B that cannot run yet: what is missing and what to do. */
  refusal: LegacyRefusal | null;
  /** Extra environment for the trainer (the legacy folder, so the trainer checks the same one). */
  env: Record<string, string>;
}

/** True when `modelDir` holds a ChatGLM-6B (first generation) checkpoint; false for anything unreadable. */
export async function isChatglm6b(modelDir: string): Promise<boolean> {
  let config: RawConfig;
  let entries: string[];
  try {
    config = JSON.parse(await readFile(join(modelDir, 'config.json'), 'utf8')) as RawConfig;
    entries = await readdir(modelDir);
  } catch {
    return false;
  }
  if (typeof config !== 'object' || config === null || config.model_type !== 'chatglm') return false;
  return (await chatglmGeneration(modelDir, config, entries)) === 'chatglm-6b';
}

interface LegacyEnvReport {
  ok: boolean;
  env?: { exists: boolean; python: string; path: string };
  model?: { files: RemoteCodeFile[] };
  consent?: boolean;
  error?: { kind: string; message: string; hint: string };
}

const agreeCommand = (modelDir: string) => `python -m tunedesk legacy-env --model ${modelDir} --create --i-agree-to-run ${modelDir}`;
const listing = (files: RemoteCodeFile[]) => files.map((f) => `${f.path} (sha256 ${f.sha256.slice(0, 12)}...)`).join(', ') || '(no Python files found)';

/**
 * The interpreter for a run of `config`. Not ChatGLM-6B: `basePython`, no refusal. ChatGLM-6B:
 * the legacy environment's python when the consent covers the current files and the environment
 * exists; otherwise `basePython` and a refusal (the trainer, started anyway, ends the run with the
 * same classified explanation).
 */
export async function chooseTrainerPython(config: TrainerConfig, basePython: string, env: NodeJS.ProcessEnv = process.env): Promise<InterpreterChoice> {
  const plain: InterpreterChoice = { python: basePython, legacy: false, refusal: null, env: {} };
  const model = config.model_name_or_path;
  if (typeof model !== 'string' || model === '' || !(await isChatglm6b(model))) return plain;
  const envDir = legacyChatglmEnvDir(env);
  const withEnv = { ...plain, env: { [LEGACY_ENV_VAR]: envDir } };
  const modelDir = resolve(model);
  const result = await runTrainerPython(['legacy-env', '--model', modelDir, '--env-dir', envDir, '--json'], {
    python: basePython,
    timeoutMs: 60_000,
    env: { [LEGACY_ENV_VAR]: envDir },
  });
  let report: LegacyEnvReport | null = null;
  try {
    report = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '') as LegacyEnvReport;
  } catch {
    report = null;
  }
  if (!report || !report.ok || !report.env || !report.model) {
    const why = report?.error ?? {
      kind: 'dependency',
      message: `could not check the ChatGLM-6B consent (${result.startError ?? (result.stderr.trim().split('\n').at(-1) || `exit ${result.exitCode}`)})`,
      hint: 'Check that the trainer environment exists (npm run setup:python).',
    };
    return { ...withEnv, refusal: { kind: why.kind === 'config' ? 'config' : 'dependency', message: why.message, hint: why.hint, files: [] } };
  }
  const files = report.model.files;
  if (!report.consent) {
    return {
      ...withEnv,
      refusal: {
        kind: 'config',
        message: `${modelDir}: ChatGLM-6B (the first generation) trains only with its own Python code, run with trust_remote_code in its legacy environment (${envDir}), and there is no consent for the current contents of these files: ${listing(files)}.`,
        hint: `Read those files; if you trust them, run \`${agreeCommand(modelDir)}\` (creates the environment if it is missing -- that needs internet access -- and records your consent for exactly these contents), then start the run again.`,
        files,
      },
    };
  }
  if (!report.env.exists) {
    return {
      ...withEnv,
      refusal: {
        kind: 'config',
        message: `${modelDir}: ChatGLM-6B's legacy environment ${envDir} has no interpreter (${report.env.python} is missing).`,
        hint: `Create it: \`${agreeCommand(modelDir)}\` (needs internet access).`,
        files,
      },
    };
  }
  return { python: report.env.python || venvPython(envDir), legacy: true, refusal: null, env: { [LEGACY_ENV_VAR]: envDir } };
}

/** The refusal as lines for a terminal: what, which files, what to do. */
export function refusalLines(refusal: LegacyRefusal): string[] {
  return [
    `error (${refusal.kind}): ${refusal.message}`,
    ...(refusal.files.length > 0 ? ['  files that would run with trust_remote_code:', ...refusal.files.map((f) => `    ${f.path}  sha256 ${f.sha256}`)] : []),
    `  what to do: ${refusal.hint}`,
  ];
}
