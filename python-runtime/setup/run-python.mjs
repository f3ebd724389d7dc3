#!/usr/bin/env node
// Runs the trainer environment's Python with the given arguments (npm scripts use it so that
// they work the same on Windows and elsewhere). Makes sure the environment exists first.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { venvPython } from './python-paths.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const ensure = spawnSync(process.execPath, [join(here, 'ensure-venv.mjs')], { stdio: 'inherit' });
if (ensure.status !== 0) process.exit(ensure.status ?? 1);

const result = spawnSync(venvPython(join(here, '..', '.venv')), process.argv.slice(2), { stdio: 'inherit' });
process.exit(result.status ?? 1);
