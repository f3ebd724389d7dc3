// Runs the trainer environment installer (python-runtime/setup/ensure-venv.mjs) for the UI and
// streams its output, line by line, to 'system.setupProgress'. One installer at a time: a second
// request while one runs waits for the same result.
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { execa } from 'execa';
import type { CallResponse } from '../shared/contract';
import type { ApiContext } from './context';

type SetupResult = CallResponse<'system.setupTrainer'>;

let running: Promise<SetupResult> | null = null;

export function setupTrainer(ctx: ApiContext, script = join(ctx.appRoot, 'python-runtime', 'setup', 'ensure-venv.mjs')): Promise<SetupResult> {
  running ??= runInstaller(ctx, script).finally(() => {
    running = null;
  });
  return running;
}

async function runInstaller(ctx: ApiContext, script: string): Promise<SetupResult> {
  const emit = (line: string, stream: 'stdout' | 'stderr' | 'status', done = false, ok?: boolean) =>
    ctx.events.publish('system.setupProgress', ok === undefined ? { line, stream, done } : { line, stream, done, ok });
  emit(`Setting up the trainer environment (${script})`, 'status');
  // Inside Electron, process.execPath is the Electron binary: ELECTRON_RUN_AS_NODE makes it plain Node.
  const env = process.versions.electron ? { ELECTRON_RUN_AS_NODE: '1' } : {};
  const child = execa(process.execPath, [script], { cwd: ctx.appRoot, env, reject: false, buffer: false, stdin: 'ignore' });
  const pipes = [
    [child.stdout, 'stdout'],
    [child.stderr, 'stderr'],
  ] as const;
  const drained = pipes.map(([stream, name]) => {
    if (!stream) return Promise.resolve();
    const lines = createInterface({ input: stream, crlfDelay: Infinity });
    lines.on('line', (line) => emit(line, name));
    return new Promise<void>((done) => lines.once('close', () => done()));
  });
  const result = await child;
  await Promise.all(drained);
  const exitCode = typeof result.exitCode === 'number' ? result.exitCode : null;
  const ok = exitCode === 0;
  const message = ok
    ? 'The trainer environment is ready.'
    : result.failed && exitCode === null
      ? `The installer could not run: ${result.shortMessage}`
      : `The installer stopped with exit code ${exitCode}; its log above says why. Fix that, then set up again.`;
  emit(message, 'status', true, ok);
  return { ok, exitCode, message };
}
