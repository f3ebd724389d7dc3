// The trainer's Python: locating it and running `python -m tunedesk <command>` without ever
// blocking (execa, a timeout, a forced kill). Other services reuse these two helpers.
import { access } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runBounded } from './bounded-run';

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
  /** null when the process did not exit by itself (stopped at the timeout, or failed to start). */
  exitCode: number | null;
  timedOut: boolean;
  /** Set when the process could not be started at all. */
  startError: string | null;
  elapsedMs: number;
  /** The signal that ended it, when something other than our timeout did. */
  signal?: string | null;
  /** It could not be reaped within the grace period and was left behind. */
  abandoned?: boolean;
}

export interface TrainerRunOptions {
  timeoutMs: number;
  python?: string;
  cwd?: string;
  /** Added to process.env. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Runs `python -m tunedesk <args>`; never rejects, never blocks past the timeout (+ grace): the
 * interpreter and anything it started are stopped at the timeout (see runBounded).
 */
export async function runTrainerPython(args: string[], options: TrainerRunOptions): Promise<TrainerRunResult> {
  return runBounded(options.python ?? trainerPythonPath(), ['-m', 'tunedesk', ...args], {
    timeoutMs: options.timeoutMs,
    cwd: options.cwd ?? RUNTIME_DIR,
    env: { ...process.env, PYTHONUNBUFFERED: '1', ...options.env },
  });
}
