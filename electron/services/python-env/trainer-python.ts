// The trainer's Python: locating it and running `python -m tunedesk <command>` without ever
// blocking (execa, a timeout, a forced kill). Other services reuse these two helpers.
import { execa } from 'execa';
import { access } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const RUNTIME_DIR = join(REPO_ROOT, 'python-runtime');

/**
 * The interpreter inside a virtual environment: the same rule as venvPython() in
 * python-runtime/setup/python-paths.mjs (a test keeps the two in step; that file is plain JS
 * for the set-up scripts, so it is not imported into the typed build).
 */
export function venvPython(venvDir: string, platform: NodeJS.Platform = process.platform): string {
  return platform === 'win32' ? join(venvDir, 'Scripts', 'python.exe') : join(venvDir, 'bin', 'python');
}

/**
 * The interpreter to use: TUNEDESK_TRAINER_PYTHON when set (tests, packaged builds), otherwise
 * python-runtime/.venv's (what `npm install` creates). Not checked for existence here.
 */
export function trainerPythonPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.TUNEDESK_TRAINER_PYTHON || venvPython(join(RUNTIME_DIR, '.venv'));
}

/** Null when the interpreter exists; otherwise the reason and how to fix it. */
export async function trainerPythonProblem(python = trainerPythonPath()): Promise<string | null> {
  try {
    await access(python);
    return null;
  } catch {
    return `the trainer environment is missing (${python} does not exist); create it with \`npm run setup:python\``;
  }
}

export interface TrainerRunResult {
  stdout: string;
  stderr: string;
  /** null when the process did not exit by itself (killed at the timeout, or failed to start). */
  exitCode: number | null;
  timedOut: boolean;
  /** Set when the process could not be started at all. */
  startError: string | null;
  elapsedMs: number;
}

export interface TrainerRunOptions {
  timeoutMs: number;
  python?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** Runs `python -m tunedesk <args>`; never rejects, never waits past the timeout (+ kill grace). */
export async function runTrainerPython(args: string[], options: TrainerRunOptions): Promise<TrainerRunResult> {
  const started = performance.now();
  const result = await execa(options.python ?? trainerPythonPath(), ['-m', 'tunedesk', ...args], {
    cwd: options.cwd ?? RUNTIME_DIR,
    env: { PYTHONUNBUFFERED: '1', ...options.env },
    timeout: options.timeoutMs,
    forceKillAfterDelay: 1000,
    reject: false,
    stdin: 'ignore',
    windowsHide: true,
  });
  const startError = result.exitCode === undefined && !result.timedOut ? (result.shortMessage ?? 'could not start') : null;
  return {
    stdout: String(result.stdout ?? ''),
    stderr: String(result.stderr ?? ''),
    exitCode: result.exitCode ?? null,
    timedOut: Boolean(result.timedOut),
    startError,
    elapsedMs: Math.round(performance.now() - started),
  };
}
