// Where the trainer's Python lives, shared by the set-up scripts and the Node services.
import { join } from 'node:path';

export const MIN_PYTHON = [3, 10];

/** The interpreter inside a virtual environment, on Windows and elsewhere. */
export function venvPython(venvDir) {
  return process.platform === 'win32' ? join(venvDir, 'Scripts', 'python.exe') : join(venvDir, 'bin', 'python');
}

/** Interpreters to try for creating the environment, the user's choice first. */
export function pythonCandidates() {
  if (process.env.TUNEDESK_PYTHON) return [process.env.TUNEDESK_PYTHON];
  return process.platform === 'win32' ? ['py', 'python', 'python3'] : ['python3', 'python'];
}
