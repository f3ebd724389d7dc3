// `python -m tunedesk doctor --json` -> TrainerEnv. The trainer's report is parsed defensively:
// any field may be missing or shaped a little differently (older or newer trainers), and a
// missing venv, a crash or a hang become a status with a reason, never an exception.
import { z } from 'zod';
import type { TrainerEnv } from '../../shared/contract/hardware';
import { runTrainerPython, trainerPythonPath, trainerPythonProblem } from './trainer-python';

export const DOCTOR_TIMEOUT_MS = 20_000;

const GiB = 1024 ** 3;
const loose = z.record(z.string(), z.unknown());
type Loose = Record<string, unknown>;

const str = (v: unknown): string | null => (typeof v === 'string' && v ? v : typeof v === 'number' ? String(v) : null);
const bool = (v: unknown): boolean | null => (typeof v === 'boolean' ? v : null);
const obj = (v: unknown): Loose | null => {
  const parsed = loose.safeParse(v);
  return parsed.success && !Array.isArray(v) ? parsed.data : null;
};
/** First present value among dotted paths ("torch.version", "torch_version"). */
function pick(root: Loose, ...paths: string[]): unknown {
  for (const path of paths) {
    let node: unknown = root;
    for (const part of path.split('.')) node = obj(node)?.[part];
    if (node !== undefined && node !== null) return node;
  }
  return undefined;
}

function devicesOf(root: Loose): TrainerEnv['devices'] {
  const raw = pick(root, 'torch.devices', 'cuda.devices', 'devices');
  if (!Array.isArray(raw)) return [];
  return raw.flatMap((d, i) => {
    const o = obj(d);
    if (!o) return typeof d === 'string' ? [{ index: i, name: d, totalMemoryBytes: null }] : [];
    const bytes = typeof o.total_memory === 'number' ? o.total_memory : typeof o.total_memory_bytes === 'number' ? o.total_memory_bytes : null;
    const gbField = typeof o.total_gb === 'number' ? o.total_gb : o.total_memory_gb;
    const gb = typeof gbField === 'number' ? gbField * GiB : null;
    const type = str(o.type);
    if (type && type !== 'cuda') return []; // cpu / mps entries are not CUDA devices
    return [{ index: typeof o.index === 'number' ? o.index : i, name: str(o.name) ?? `device ${i}`, totalMemoryBytes: bytes ?? gb }];
  });
}

function enginesOf(root: Loose): TrainerEnv['engines'] {
  const raw = pick(root, 'engines');
  const engines: TrainerEnv['engines'] = {};
  if (Array.isArray(raw)) {
    for (const e of raw) {
      const o = obj(e);
      const name = str(o?.name) ?? str(e);
      if (name) engines[name] = { available: o ? bool(o.available) ?? true : true, detail: str(o?.reason) ?? str(o?.detail) ?? '' };
    }
  } else if (obj(raw)) {
    for (const [name, value] of Object.entries(obj(raw) ?? {})) {
      const o = obj(value);
      const available = typeof value === 'boolean' ? value : (bool(o?.available) ?? false);
      engines[name] = { available, detail: str(o?.reason) ?? str(o?.detail) ?? str(o?.version) ?? '' };
    }
  }
  return engines;
}

function packagesOf(root: Loose): Record<string, string> {
  const raw = obj(pick(root, 'packages'));
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw ?? {})) {
    const version = str(value) ?? str(obj(value)?.version);
    if (version) out[name] = version;
  }
  return out;
}

const empty = (status: TrainerEnv['status'], detail: string, python: string | null): TrainerEnv => ({
  status, detail, python, pythonVersion: null, torchVersion: null, torchCuda: null, cudaAvailable: null, mpsAvailable: null,
  devices: [], engines: {}, packages: {},
});

/** Parses doctor's stdout (a JSON object, possibly after log lines). */
export function parseDoctorJson(stdout: string, python: string | null): TrainerEnv {
  const start = stdout.indexOf('{');
  let root: Loose | null = null;
  try {
    root = start >= 0 ? obj(JSON.parse(stdout.slice(start))) : null;
  } catch {
    root = null;
  }
  if (!root) return empty('error', 'the trainer doctor did not print a JSON object; run `python -m tunedesk doctor` to see why', python);
  const cudaAvailable = bool(pick(root, 'torch.cuda_available', 'cuda.available', 'cuda_available'));
  return {
    status: 'ok',
    detail: 'trainer environment found',
    python: str(pick(root, 'python.executable', 'executable')) ?? python,
    pythonVersion: str(pick(root, 'python.version', 'python_version', 'python')),
    torchVersion: str(pick(root, 'torch.version', 'torch_version')),
    torchCuda: str(pick(root, 'torch.cuda_build', 'torch.cuda', 'torch.cuda_version', 'torch_cuda', 'cuda.version', 'cuda_version')),
    cudaAvailable,
    mpsAvailable: bool(pick(root, 'torch.mps_available', 'mps.available', 'mps_available')),
    devices: devicesOf(root),
    engines: enginesOf(root),
    packages: packagesOf(root),
  };
}

/** Runs the trainer's doctor; missing environment, crash and hang each come back as a status. */
export async function trainerDoctor(timeoutMs = DOCTOR_TIMEOUT_MS): Promise<TrainerEnv> {
  const python = trainerPythonPath();
  const problem = await trainerPythonProblem(python);
  if (problem) return empty('missing', problem, null);
  const run = await runTrainerPython(['doctor', '--json'], { timeoutMs, python });
  if (run.timedOut) return empty('timeout', `the trainer doctor did not answer within ${timeoutMs / 1000} s and was stopped`, python);
  if (run.startError) return empty('error', `the trainer Python could not start: ${run.startError}`, python);
  if (run.exitCode !== 0) {
    const tail = run.stderr.trim().split('\n').slice(-2).join(' / ');
    return empty('error', `the trainer doctor failed (exit ${run.exitCode}): ${tail || 'no message'}; run \`npm run setup:python\` to repair the environment`, python);
  }
  return parseDoctorJson(run.stdout, python);
}
