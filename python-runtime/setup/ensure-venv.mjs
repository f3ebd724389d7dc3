#!/usr/bin/env node
// Creates (or confirms) the trainer's Python environment at python-runtime/.venv.
// Runs from `npm install` (postinstall) and before the Python tests. Idempotent: a stamp file
// records the hash of the requirement files, so a second run costs a few milliseconds.
// Plain Node with no dependencies, because it runs before node_modules is complete.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pythonCandidates, venvPython, MIN_PYTHON } from './python-paths.mjs';

const runtimeDir = join(dirname(fileURLToPath(import.meta.url)), '..');
// TUNEDESK_VENV_DIR: another place for the environment (the installer's own tests use a stand-in).
const venvDir = process.env.TUNEDESK_VENV_DIR ?? join(runtimeDir, '.venv');
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

// pip's own defaults (15 s per read, 5 retries with back-off, per package) keep an offline or
// unreachable index busy for minutes before it says anything useful. Small bounds make it fail in
// seconds; TUNEDESK_PIP_TIMEOUT / TUNEDESK_PIP_RETRIES widen them for a slow but working index.
const PIP_BOUNDS = ['--timeout', process.env.TUNEDESK_PIP_TIMEOUT ?? '10', '--retries', process.env.TUNEDESK_PIP_RETRIES ?? '1'];
const NETWORK_TROUBLE = /NewConnectionError|Failed to establish a new connection|Name or service not known|Temporary failure in name resolution|ReadTimeoutError|ConnectTimeoutError|timed out|ProxyError|SSLError|No matching distribution found|Could not find a version/;

/** Runs pip with its output shown line by line (the progress), and says why when it fails. */
function pip(args, what) {
  return new Promise((resolve) => {
    const child = spawn(python, ['-m', 'pip', ...args, '--disable-pip-version-check', '--progress-bar', 'off', ...PIP_BOUNDS], {
      cwd: runtimeDir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let tail = '';
    const show = (stream, out) => (chunk) => {
      const text = chunk.toString();
      tail = (tail + text).slice(-8000);
      out.write(text);
    };
    child.stdout.on('data', show('stdout', process.stdout));
    child.stderr.on('data', show('stderr', process.stderr));
    child.on('error', (error) => fail(`${what} could not start pip: ${error.message}`));
    child.on('close', (code) => {
      if (code === 0) return resolve();
      const network = NETWORK_TROUBLE.test(tail);
      fail(
        `${what} failed (exit ${code})` +
          (network
            ? ': pip could not reach the package index (offline, a firewall, or a slow mirror). Point PIP_INDEX_URL at a reachable index ' +
              'or PIP_FIND_LINKS at a folder of wheels, or widen the bounds with TUNEDESK_PIP_TIMEOUT=60 TUNEDESK_PIP_RETRIES=5.'
            : '; pip says why above.') +
          ' Then run `npm run setup:python`.',
      );
    });
  });
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
console.log('[tunedesk] step 1/2: installing the pinned requirements (first time: a few minutes; each package is listed as it comes)');
await pip(['install', '-r', 'requirements.txt', '-r', 'requirements-dev.txt'], 'Installing the pinned requirements');
console.log('[tunedesk] step 2/2: installing the tunedesk trainer package');
await pip(['install', '-q', '--no-deps', '-e', '.'], 'Installing tunedesk');

if (hasNvidiaGpu()) {
  // Optional: DeepSpeed only works with CUDA. A failure here leaves the torch engine working.
  console.log('[tunedesk] optional: installing DeepSpeed (NVIDIA GPU found)');
  const ds = spawnSync(python, ['-m', 'pip', 'install', '-q', ...PIP_BOUNDS, '-r', 'requirements-deepspeed.txt'], {
    stdio: 'inherit',
    cwd: runtimeDir,
  });
  if (ds.status !== 0) console.warn('[tunedesk] DeepSpeed could not be installed; the torch engine still works.');
}
writeFileSync(stampFile, wanted + '\n');
console.log('[tunedesk] trainer environment ready');
