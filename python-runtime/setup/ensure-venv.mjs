#!/usr/bin/env node
// Creates (or confirms) the trainer's Python environment at python-runtime/.venv.
// Runs from `npm install` (postinstall) and before the Python tests. Idempotent: a stamp file
// records the hash of the requirement files, so a second run costs a few milliseconds.
// Plain Node with no dependencies, because it runs before node_modules is complete.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pythonCandidates, venvPython, MIN_PYTHON } from './python-paths.mjs';

const runtimeDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const venvDir = join(runtimeDir, '.venv');
const stampFile = join(venvDir, '.tunedesk-stamp');
const requirementFiles = ['requirements.txt', 'requirements-dev.txt', 'pyproject.toml'];

function fail(message) {
  console.error(`\n[tunedesk] ${message}\n`);
  process.exit(1);
}

function versionOf(python) {
  const probe = spawnSync(python, ['-c', 'import sys; print("%d.%d.%d" % sys.version_info[:3])'], {
    encoding: 'utf8',
  });
  if (probe.status !== 0 || !probe.stdout) return null;
  return probe.stdout.trim().split('.').map(Number);
}

function findPython() {
  const tried = [];
  for (const candidate of pythonCandidates()) {
    const version = versionOf(candidate);
    tried.push(`${candidate}: ${version ? version.join('.') : 'not found'}`);
    if (!version) continue;
    const [major, minor] = version;
    if (major > MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor >= MIN_PYTHON[1])) return candidate;
    if (process.env.TUNEDESK_PYTHON) break; // the user named one: do not silently pick another
  }
  fail(
    `TuneDesk's trainer needs Python ${MIN_PYTHON.join('.')} or newer.\n` +
      `  Looked at:\n    ${tried.join('\n    ')}\n` +
      `  Install Python ${MIN_PYTHON.join('.')}+ (python.org or your package manager), or point ` +
      `TUNEDESK_PYTHON at one, then run: npm run setup:python`,
  );
}

function requirementsHash() {
  const hash = createHash('sha256');
  for (const file of requirementFiles) hash.update(readFileSync(join(runtimeDir, file)));
  hash.update(process.env.TUNEDESK_PYTHON ?? '');
  return hash.digest('hex');
}

function run(cmd, args, what) {
  const result = spawnSync(cmd, args, { stdio: 'inherit', cwd: runtimeDir });
  if (result.status !== 0) fail(`${what} failed (exit ${result.status}). Run \`npm run setup:python\` to retry.`);
}

function hasNvidiaGpu() {
  if (process.platform !== 'linux') return false;
  const smi = spawnSync('nvidia-smi', ['-L'], { encoding: 'utf8', timeout: 5000 });
  return smi.status === 0 && /GPU \d+/.test(smi.stdout ?? '');
}

if (process.env.TUNEDESK_SKIP_PYTHON_SETUP === '1') {
  console.log('[tunedesk] TUNEDESK_SKIP_PYTHON_SETUP=1: not touching python-runtime/.venv');
  process.exit(0);
}

const wanted = requirementsHash();
const python = venvPython(venvDir);
if (existsSync(python) && existsSync(stampFile) && readFileSync(stampFile, 'utf8').trim() === wanted) {
  process.exit(0);
}

const basePython = findPython();
if (!existsSync(python)) {
  console.log(`[tunedesk] creating the trainer environment in ${venvDir} with ${basePython}`);
  rmSync(venvDir, { recursive: true, force: true });
  run(basePython, ['-m', 'venv', venvDir], 'Creating the Python virtual environment');
}
console.log('[tunedesk] installing the trainer and its pinned requirements (first time: a few minutes)');
run(
  python,
  ['-m', 'pip', 'install', '--disable-pip-version-check', '-q', '-r', 'requirements.txt', '-r', 'requirements-dev.txt'],
  'Installing the pinned requirements',
);
run(python, ['-m', 'pip', 'install', '--disable-pip-version-check', '-q', '--no-deps', '-e', '.'], 'Installing tunedesk');

if (hasNvidiaGpu()) {
  // Optional: DeepSpeed only works with CUDA. A failure here leaves the torch engine working.
  const ds = spawnSync(python, ['-m', 'pip', 'install', '-q', '-r', 'requirements-deepspeed.txt'], {
    stdio: 'inherit',
    cwd: runtimeDir,
  });
  if (ds.status !== 0) console.warn('[tunedesk] DeepSpeed could not be installed; the torch engine still works.');
}
writeFileSync(stampFile, wanted + '\n');
console.log('[tunedesk] trainer environment ready');
