// Runs a process with a hard time limit and never blocks the caller past it. The child leads its
// own process group, so at the timeout the whole group is stopped (SIGTERM, then SIGKILL): a
// shell or Python that started helpers of its own cannot keep the pipes open and the caller
// waiting. If even that fails (a process stuck in uninterruptible sleep), the answer still comes
// at the timeout plus a grace period, marked abandoned.
import { execa } from 'execa';

/** After SIGTERM, this long until SIGKILL. */
export const KILL_GRACE_MS = 300;
/** The caller has its answer by timeout + this, whatever the processes do. */
export const ANSWER_GRACE_MS = 800;

export interface BoundedResult {
  stdout: string;
  stderr: string;
  /** null when the process did not exit by itself. */
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  /** The process could not be started (missing, not executable); the message says why. */
  startError: string | null;
  /** The process could not be reaped within the grace period and was left behind. */
  abandoned: boolean;
  elapsedMs: number;
}

export interface BoundedOptions {
  timeoutMs: number;
  cwd?: string;
  /** The complete environment when given (not merged with process.env). */
  env?: NodeJS.ProcessEnv;
}

export async function runBounded(file: string, args: string[], options: BoundedOptions): Promise<BoundedResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const group = process.platform !== 'win32';
  const child = execa(file, args, {
    cwd: options.cwd,
    env: options.env,
    extendEnv: options.env === undefined,
    reject: false,
    stdin: 'ignore',
    windowsHide: true,
    detached: group, // its own process group, so the timeout can stop its helpers too
  });
  const kill = (signal: NodeJS.Signals) => {
    try {
      if (group && child.pid) process.kill(-child.pid, signal);
      else child.kill(signal);
    } catch {
      // already gone
    }
  };
  let timedOut = false;
  let killTimer: NodeJS.Timeout | undefined;
  const timer = setTimeout(() => {
    timedOut = true;
    kill('SIGTERM');
    killTimer = setTimeout(() => kill('SIGKILL'), KILL_GRACE_MS);
  }, options.timeoutMs);
  let deadlineTimer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'deadline'>((resolve) => {
    deadlineTimer = setTimeout(() => resolve('deadline'), options.timeoutMs + ANSWER_GRACE_MS);
  });
  const outcome = await Promise.race([child, deadline]);
  clearTimeout(timer);
  clearTimeout(deadlineTimer);
  if (outcome === 'deadline') {
    kill('SIGKILL');
    clearTimeout(killTimer);
    return { stdout: '', stderr: '', exitCode: null, signal: null, timedOut: true, startError: null, abandoned: true, elapsedMs: elapsed() };
  }
  if (timedOut) {
    // The group got SIGTERM; make sure stragglers that ignored it get the SIGKILL too.
    clearTimeout(killTimer);
    kill('SIGKILL');
  }
  const startError = !timedOut && outcome.exitCode === undefined && !outcome.signal ? (outcome.shortMessage ?? 'could not start') : null;
  return {
    stdout: String(outcome.stdout ?? ''),
    stderr: String(outcome.stderr ?? ''),
    exitCode: outcome.exitCode ?? null,
    signal: timedOut ? null : (outcome.signal ?? null),
    timedOut,
    startError,
    abandoned: false,
    elapsedMs: elapsed(),
  };
}
