// `tunedesk runs | head -1`, `tunedesk train --follow | head -3`, `tunedesk doctor | true`: the
// reader went away. Node ignores SIGPIPE, so the next write fails with EPIPE, which would end the
// command with a stack trace. The output is simply no longer wanted: exit quietly. A followed run
// is not ours to end (the trainer is detached in its own process group): it goes on.

/** Whether an error means the other end of stdout/stderr is closed. */
export function isClosedPipe(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED';
}

let installed = false;

/** Makes a closed stdout or stderr end the process quietly (exit code 0: the reader chose to stop). */
export function exitQuietlyOnClosedPipe(): void {
  if (installed) return;
  installed = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error) => {
      if (!isClosedPipe(error)) throw error;
      // Nothing more can be said to a closed pipe, and the other stream may be closed too.
      process.exit(0);
    });
  }
  // A write that fails synchronously surfaces as an uncaught exception rather than an 'error' event.
  process.on('uncaughtException', (error) => {
    if (isClosedPipe(error)) process.exit(0);
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  });
}
