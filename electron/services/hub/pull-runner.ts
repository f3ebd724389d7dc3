// Runs `python -m tunedesk pull <repo> --json` and turns its JSON lines into progress and an
// outcome. The access token goes to the child's stdin (--token-stdin), never into its argv or
// environment listing, and never into a log. Cancelling sends SIGTERM: the trainer keeps what it
// downloaded (the next pull resumes) and answers with an "interrupted" line.
import { execa } from 'execa';
import type { PullOutcome } from '../../shared/contract/hub';
import { LineSplitter } from '../export/trainer-stream';
import { RUNTIME_DIR, trainerPythonPath } from '../python-env/trainer-python';

export interface PullArgs {
  repoId: string;
  revision: string;
  /** <data dir>: the model goes to <data dir>/models/<org>--<name>. */
  dataDir: string;
  endpoint: string;
  allowPickle?: boolean;
  token?: string | null;
}

export interface PullStep {
  phase: 'starting' | 'downloading';
  file?: string;
  bytesDone: number;
  bytesTotal: number;
  speedBps: number;
  etaSeconds: number | null;
  commit?: string;
}

export interface PullRunOptions {
  python?: string;
  signal?: AbortSignal;
  onStep?: (step: PullStep) => void;
  /** Extra environment (tests point HF_HOME somewhere empty). */
  env?: NodeJS.ProcessEnv;
}

type Line = Record<string, unknown>;
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const str = (v: unknown) => (typeof v === 'string' ? v : '');

export function pullArgv(args: PullArgs): string[] {
  return [
    'pull',
    args.repoId,
    '--revision',
    args.revision,
    '--data-dir',
    args.dataDir,
    '--json',
    ...(args.allowPickle ? ['--allow-pickle'] : []),
    ...(args.token ? ['--token-stdin'] : []),
  ];
}

/** The final JSON line as the contract's outcome; a crash without one says what the stderr said last. */
export function outcomeFrom(final: Line | null, stderrTail: string[], exitCode: number | null, cancelled: boolean): PullOutcome {
  if (final?.ok === true) {
    return {
      status: 'completed',
      modelDir: str(final.model_dir),
      commit: str(final.commit),
      weights: str(final.weights),
      alreadyComplete: final.already_complete === true,
      files: Array.isArray(final.files) ? final.files.filter((f): f is string => typeof f === 'string') : [],
      bytes: num(final.bytes),
      next: str(final.next),
    };
  }
  const error = final?.error as { kind?: unknown; message?: unknown; hint?: unknown } | undefined;
  if (cancelled || error?.kind === 'interrupted') return { status: 'cancelled' };
  if (error && typeof error.message === 'string') {
    return { status: 'failed', error: { kind: str(error.kind) || 'runtime', message: error.message, hint: str(error.hint) } };
  }
  const last = stderrTail.at(-1) ?? `exit status ${exitCode ?? '?'}`;
  return {
    status: 'failed',
    error: { kind: 'trainer', message: `The download stopped unexpectedly (${last}).`, hint: 'Pull again to resume; if it keeps failing, set up the trainer environment again (npm run setup:python).' },
  };
}

export async function runPull(args: PullArgs, options: PullRunOptions = {}): Promise<PullOutcome> {
  let final: Line | null = null;
  const stderrTail: string[] = [];
  const out = new LineSplitter();
  const err = new LineSplitter();
  const onLine = (text: string) => {
    let line: Line;
    try {
      line = JSON.parse(text) as Line;
    } catch {
      return; // a stray print is not ours to show
    }
    if (!line || typeof line !== 'object') return;
    if ('ok' in line) final = line;
    else if (line.event === 'plan') {
      options.onStep?.({ phase: 'downloading', bytesDone: num(line.resumed_bytes), bytesTotal: num(line.total_bytes), speedBps: 0, etaSeconds: null, commit: str(line.commit) });
    } else if (line.event === 'progress') {
      options.onStep?.({
        phase: 'downloading',
        file: str(line.file),
        bytesDone: num(line.bytes_done),
        bytesTotal: num(line.bytes_total),
        speedBps: num(line.speed_bps),
        etaSeconds: typeof line.eta_s === 'number' ? line.eta_s : null,
      });
    }
  };
  const child = execa(options.python ?? trainerPythonPath(), ['-m', 'tunedesk', ...pullArgv(args)], {
    cwd: RUNTIME_DIR,
    env: { PYTHONUNBUFFERED: '1', ...options.env, HF_ENDPOINT: args.endpoint },
    reject: false,
    input: args.token ? `${args.token}\n` : '',
    windowsHide: true,
    encoding: 'utf8',
    buffer: false,
    killSignal: 'SIGTERM',
    forceKillAfterDelay: 10_000,
    ...(options.signal ? { cancelSignal: options.signal } : {}),
  });
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => out.push(chunk).forEach(onLine));
  child.stderr?.on('data', (chunk: string) =>
    err.push(chunk).forEach((line) => {
      if (!line.trim()) return;
      stderrTail.push(line);
      if (stderrTail.length > 20) stderrTail.shift();
    }),
  );
  const result = await child;
  out.flush().forEach(onLine);
  if (result.exitCode === undefined && !options.signal?.aborted && !final) {
    return { status: 'failed', error: { kind: 'trainer', message: `Could not start the trainer's Python (${result.shortMessage ?? 'could not start'}).`, hint: 'Set up the trainer environment (npm run setup:python), then try again.' } };
  }
  return outcomeFrom(final, stderrTail, result.exitCode ?? null, Boolean(options.signal?.aborted) && final === null);
}
