// The trainer environment's interpreter: TUNEDESK_TRAINER_PYTHON when set (tests, packaged
// builds), else python-runtime/.venv of this checkout (what `npm install` creates).
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export function trainerPython(): string {
  if (process.env.TUNEDESK_TRAINER_PYTHON) return process.env.TUNEDESK_TRAINER_PYTHON;
  const venv = join(repoRoot, 'python-runtime', '.venv');
  const python = process.platform === 'win32' ? join(venv, 'Scripts', 'python.exe') : join(venv, 'bin', 'python');
  if (!existsSync(python)) {
    throw new Error(`the trainer environment is missing (${python}). Create it with: npm run setup:python`);
  }
  return python;
}
