// The app's side of ChatGLM-6B's legacy environment: what would run and whether the user agreed
// (status), and the agreement itself, bound to the exact files the user was shown (agree). Both go
// through `python -m tunedesk legacy-env --json`, the one place that lists the files, hashes them,
// records the consent and builds the environment; neither ever runs the model's own code.
import type { LegacyChatglmStatus } from '../../shared/contract/legacy-chatglm';
import { runTrainerPython, type TrainerRunOptions, type TrainerRunResult } from '../python-env/trainer-python';
import { isChatglm6b, LEGACY_ENV_VAR, legacyChatglmEnvDir } from './trainer-interpreter';

/** Listing and hashing a checkpoint's Python files is quick. */
export const STATUS_TIMEOUT_MS = 60_000;
/** pip installs torch 2.0.1 + transformers 4.33 into a fresh environment: minutes on a slow line. */
export const CREATE_TIMEOUT_MS = 30 * 60_000;

export type LegacyChatglmErrorReason = 'not-chatglm-6b' | 'changed' | 'busy' | 'trainer' | 'config' | 'dependency';

/** Why a status or agreement failed, in the trainer's words: what happened and what to do. */
export class LegacyChatglmError extends Error {
  constructor(
    readonly reason: LegacyChatglmErrorReason,
    message: string,
    readonly hint: string,
  ) {
    super(message);
    this.name = 'LegacyChatglmError';
  }
}

export interface SeenFile {
  name: string;
  sha256: string;
}

export interface LegacyEnvOptions {
  /** The trainer's interpreter (runs legacy-env); the default venv's when omitted. */
  python?: string;
  /** Read for TUNEDESK_LEGACY_CHATGLM_ENV; process.env when omitted. */
  env?: NodeJS.ProcessEnv;
  /** Runs `python -m tunedesk <args>` (tests record the command line here). */
  run?: (args: string[], options: TrainerRunOptions) => Promise<TrainerRunResult>;
}

/**
 * The legacy-env command line: the status, or the creation with the consent for `modelDir` to
 * exactly the files the user saw (legacy-env refuses when they differ, and records those hashes).
 */
export function legacyEnvArgs(modelDir: string, envDir: string, seen: SeenFile[] | null): string[] {
  const agree = seen ? ['--create', '--i-agree-to-run', modelDir, '--agreed-files', JSON.stringify(Object.fromEntries(seen.map((f) => [f.name, f.sha256])))] : [];
  return ['legacy-env', '--model', modelDir, ...agree, '--env-dir', envDir, '--json'];
}

/** How legacy-env words a refusal because the files differ from what the user saw (legacy.py). */
const CHANGED_PREFIX = "The model's Python files changed since you looked";

interface LegacyEnvReport {
  ok: boolean;
  explanation?: string;
  created?: boolean;
  env?: { exists: boolean; path: string; pins?: string[] };
  model?: { path: string; files: { path: string; bytes: number; sha256: string }[]; weights_note?: string };
  consent?: boolean;
  error?: { kind: string; message: string; hint: string };
}

function parseReport(result: TrainerRunResult): LegacyEnvReport | null {
  const last = result.stdout.trim().split('\n').at(-1) ?? '';
  try {
    const report = JSON.parse(last) as unknown;
    return report && typeof report === 'object' && 'ok' in report ? (report as LegacyEnvReport) : null;
  } catch {
    return null;
  }
}

/** The report as the contract's status, or the trainer's classified error (never its traceback). */
function statusFrom(result: TrainerRunResult, what: string, timeoutMs: number): LegacyChatglmStatus {
  if (result.startError) {
    throw new LegacyChatglmError('trainer', `Could not start the trainer's Python to ${what} (${result.startError}).`, 'Set up the trainer environment (npm run setup:python), then try again.');
  }
  if (result.timedOut) {
    throw new LegacyChatglmError(
      'dependency',
      `Stopped: ${what} took longer than ${Math.round(timeoutMs / 60_000)} minutes.`,
      'Check the internet connection (pip downloads torch and transformers), then try again; nothing was recorded.',
    );
  }
  const report = parseReport(result);
  if (report && !report.ok && report.error) {
    const reason = report.error.message.startsWith(CHANGED_PREFIX) ? 'changed' : report.error.kind === 'dependency' ? 'dependency' : 'config';
    throw new LegacyChatglmError(reason, report.error.message, report.error.hint);
  }
  if (!report?.ok || !report.env || !report.model) {
    // Not the JSON legacy-env prints: show the last line of stderr, not the whole traceback.
    const last = result.stderr.trim().split('\n').at(-1) || `exit status ${result.exitCode}`;
    throw new LegacyChatglmError('trainer', `Could not ${what}: the trainer answered unexpectedly (${last}).`, 'Set up the trainer environment again (npm run setup:python).');
  }
  const consent = report.consent === true;
  return {
    modelDir: report.model.path,
    explanation: report.explanation ?? '',
    files: report.model.files.map((f) => ({ name: f.path, bytes: f.bytes, sha256: f.sha256 })),
    env: { exists: report.env.exists, path: report.env.path, pins: report.env.pins ?? [] },
    consent,
    ready: consent && report.env.exists,
    weightsNote: report.model.weights_note ?? null,
    created: report.created === true,
  };
}

async function ensureChatglm6b(modelDir: string): Promise<void> {
  if (!(await isChatglm6b(modelDir))) {
    throw new LegacyChatglmError(
      'not-chatglm-6b',
      `${modelDir} is not a ChatGLM-6B (first generation) checkpoint: it needs no legacy environment.`,
      'ChatGLM2-6B and ChatGLM3-6B are converted with `python -m tunedesk import-chatglm`; other models train directly.',
    );
  }
}

async function runLegacyEnv(modelDir: string, seen: SeenFile[] | null, options: LegacyEnvOptions) {
  const envDir = legacyChatglmEnvDir(options.env);
  const create = seen !== null;
  const timeoutMs = create ? CREATE_TIMEOUT_MS : STATUS_TIMEOUT_MS;
  const run = options.run ?? runTrainerPython;
  const result = await run(legacyEnvArgs(modelDir, envDir, seen), {
    timeoutMs,
    env: { [LEGACY_ENV_VAR]: envDir },
    ...(options.python ? { python: options.python } : {}),
  });
  return { envDir, status: statusFrom(result, create ? 'create the legacy environment' : 'read the legacy environment status', timeoutMs) };
}

/** What would run, whether the environment exists and whether the user agreed. Runs none of the files. */
export async function legacyChatglmStatus(modelDir: string, options: LegacyEnvOptions = {}): Promise<LegacyChatglmStatus> {
  await ensureChatglm6b(modelDir);
  return (await runLegacyEnv(modelDir, null, options)).status;
}

/** The differences between what the user saw and what is there now ("x.py changed", ...); empty when equal. */
export function fileChanges(seen: SeenFile[], current: SeenFile[]): string[] {
  const before = new Map(seen.map((f) => [f.name, f.sha256]));
  const now = new Map(current.map((f) => [f.name, f.sha256]));
  const changes: string[] = [];
  for (const [name, sha] of now) {
    if (!before.has(name)) changes.push(`${name} is new`);
    else if (before.get(name) !== sha) changes.push(`${name} changed`);
  }
  for (const name of before.keys()) if (!now.has(name)) changes.push(`${name} is gone`);
  return changes;
}

const changedError = (changes: string[]) =>
  new LegacyChatglmError('changed', `The model's Python files changed since you looked: ${changes.join(', ')}. Nothing was agreed to.`, 'Read the files as they are now, then agree again.');

// The environment is one folder shared by every model: one creation at a time.
let agreeing: string | null = null;

/**
 * The user agrees to run `seen` (the files and hashes they were shown). Refused when the files
 * changed since; otherwise legacy-env creates the environment if it is missing (pip: minutes,
 * needs internet access; offline it fails fast with what to do) and records the consent.
 */
export async function agreeLegacyChatglm(modelDir: string, seen: SeenFile[], options: LegacyEnvOptions = {}): Promise<LegacyChatglmStatus> {
  await ensureChatglm6b(modelDir);
  if (agreeing !== null) {
    throw new LegacyChatglmError('busy', `The legacy environment is being created already (for ${agreeing}).`, 'Wait until that finishes, then agree again.');
  }
  agreeing = modelDir;
  try {
    // A quick look first, so a change since the screen was drawn is refused before anything starts;
    // legacy-env checks the same again (--agreed-files) as it records the consent.
    const before = (await runLegacyEnv(modelDir, null, options)).status;
    const changes = fileChanges(seen, before.files);
    if (changes.length > 0) throw changedError(changes);
    return (await runLegacyEnv(modelDir, seen, options)).status;
  } finally {
    agreeing = null;
  }
}
