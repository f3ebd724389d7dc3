// Runs a `python -m tunedesk <command>` that reports through JSON-lines events on stdout
// (export, predict) and hands each parsed event to the caller as it arrives. Cancellation sends
// SIGTERM (the trainer cleans up its staging directory), then kills after a grace period.
import { execa } from 'execa';
import { parseEventLine, type TrainerEvent } from '../../shared/events';
import { RUNTIME_DIR, trainerPythonPath } from '../python-env/trainer-python';

export interface StreamOptions {
  /** Interpreter; defaults to the trainer environment's. */
  python?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Aborting stops the process (SIGTERM, then SIGKILL after killGraceMs). */
  signal?: AbortSignal;
  killGraceMs?: number;
  /** Called for every valid event line, in order. */
  onEvent?: (event: TrainerEvent) => void;
  /** Called for every stderr line (human-readable messages, warnings). */
  onStderr?: (line: string) => void;
}

export interface StreamResult {
  exitCode: number | null;
  cancelled: boolean;
  events: TrainerEvent[];
  /** The last stderr lines, for an error message when no event explains the failure. */
  stderrTail: string[];
  /** Set when the process could not start at all. */
  startError: string | null;
}

const STDERR_TAIL = 20;

/** Splits a byte stream into lines without losing a line split across chunks. */
export class LineSplitter {
  private rest = '';

  push(chunk: string): string[] {
    const text = this.rest + chunk;
    const lines = text.split(/\r?\n/);
    this.rest = lines.pop() ?? '';
    return lines;
  }

  flush(): string[] {
    const last = this.rest;
    this.rest = '';
    return last ? [last] : [];
  }
}

export async function streamTrainerCommand(args: string[], options: StreamOptions = {}): Promise<StreamResult> {
  const events: TrainerEvent[] = [];
  const stderrTail: string[] = [];
  const outLines = new LineSplitter();
  const errLines = new LineSplitter();
  const onOut = (line: string) => {
    const parsed = parseEventLine(line);
    if (!parsed.ok) return; // anything that is not an event (a stray print) is not ours to show
    events.push(parsed.event);
    options.onEvent?.(parsed.event);
  };
  const onErr = (line: string) => {
    if (!line.trim()) return;
    stderrTail.push(line);
    if (stderrTail.length > STDERR_TAIL) stderrTail.shift();
    options.onStderr?.(line);
  };
  const child = execa(options.python ?? trainerPythonPath(), ['-m', 'tunedesk', ...args], {
    cwd: options.cwd ?? RUNTIME_DIR,
    env: { PYTHONUNBUFFERED: '1', TOKENIZERS_PARALLELISM: 'false', ...options.env },
    reject: false,
    stdin: 'ignore',
    windowsHide: true,
    encoding: 'utf8',
    buffer: false,
    killSignal: 'SIGTERM',
    forceKillAfterDelay: options.killGraceMs ?? 10_000,
    ...(options.signal ? { cancelSignal: options.signal } : {}),
  });
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => outLines.push(chunk).forEach(onOut));
  child.stderr?.on('data', (chunk: string) => errLines.push(chunk).forEach(onErr));
  const result = await child;
  outLines.flush().forEach(onOut);
  errLines.flush().forEach(onErr);
  const cancelled = Boolean(result.isCanceled) || Boolean(options.signal?.aborted);
  const startError = result.exitCode === undefined && !cancelled && !result.signal ? (result.shortMessage ?? 'could not start') : null;
  return { exitCode: result.exitCode ?? null, cancelled, events, stderrTail, startError };
}
