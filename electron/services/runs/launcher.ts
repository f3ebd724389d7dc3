// Launches the trainer for one run: detached in its own process group (so closing the app
// neither kills nor orphans-and-loses it), stdout and stderr appended to train.log through file
// descriptors (no pipe the trainer could die on when the app goes away), cwd the run directory.
import { closeSync, openSync } from 'node:fs';
import { createServer } from 'node:net';
import { basename, posix, win32 } from 'node:path';
import { execa } from 'execa';
import type { Command } from './process-tree';
import { processStartTime } from './process-tree';
import { runFiles, writeJsonAtomic, type ProcessInfo } from './run-files';

export interface TrainCommandInput {
  /** The trainer environment's Python interpreter. */
  python: string;
  /** GPU indices; more than one goes through the DeepSpeed launcher. */
  gpus?: number[];
  /** Rendezvous port for the DeepSpeed launcher (two multi-GPU runs must not share one). */
  masterPort?: number;
  /** run.json, relative to the run directory (the trainer's cwd). */
  configFile?: string;
  platform?: NodeJS.Platform;
}

export interface TrainCommand extends Command {
  launcher: 'torch' | 'deepspeed';
  /** Extra environment for the trainer. */
  env: Record<string, string>;
}

/** The `deepspeed` launcher script installed beside the interpreter in the same environment. */
export function deepspeedLauncherPath(python: string, platform: NodeJS.Platform = process.platform): string {
  // venv/bin/python -> venv/bin/deepspeed; on Windows venv\Scripts\python.exe -> venv\Scripts\deepspeed.exe
  const path = platform === 'win32' ? win32 : posix;
  return path.join(path.dirname(python), platform === 'win32' ? 'deepspeed.exe' : 'deepspeed');
}

/** Builds the command line that trains one run (`python -m tunedesk train --config run.json`). */
export function buildTrainCommand(input: TrainCommandInput): TrainCommand {
  const configFile = input.configFile ?? 'run.json';
  const gpus = input.gpus ?? [];
  const env: Record<string, string> = { PYTHONUNBUFFERED: '1' };
  if (gpus.length > 1) {
    const args = ['--include', `localhost:${gpus.join(',')}`];
    if (input.masterPort !== undefined) args.push('--master_port', String(input.masterPort));
    args.push('-m', 'tunedesk', 'train', '--config', configFile);
    return { file: deepspeedLauncherPath(input.python, input.platform), args, launcher: 'deepspeed', env };
  }
  // One GPU: make it the only one the trainer sees, so "cuda:0" is the chosen card.
  if (gpus.length === 1) env.CUDA_VISIBLE_DEVICES = String(gpus[0]);
  return { file: input.python, args: ['-m', 'tunedesk', 'train', '--config', configFile], launcher: 'torch', env };
}

/** A free TCP port on this machine (for the DeepSpeed rendezvous). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface LaunchedProcess {
  info: ProcessInfo;
  /** Resolves when the process exits (only for processes this instance launched). */
  exited: Promise<{ exitCode: number | null; signal: string | null }>;
}

/** Starts the command in `runDir`, writes process.json, and returns without waiting for the end. */
export async function launchInRunDir(runDir: string, command: TrainCommand, extraEnv: Record<string, string> = {}): Promise<LaunchedProcess> {
  const files = runFiles(runDir);
  // execa's types list only descriptors 3-9, but any open descriptor is handed to spawn as is
  // (the child writes to the file itself; no pipe through this process).
  const logFd = openSync(files.log, 'a') as 3;
  const spawn = () =>
    execa(command.file, command.args, {
      cwd: runDir,
      detached: true, // own process group (setsid): stop signals reach every rank and worker
      cleanup: false, // the run outlives the app; re-attach finds it again
      stdin: 'ignore',
      stdout: logFd,
      stderr: logFd,
      env: { ...extraEnv, ...command.env },
      reject: false,
      windowsHide: true, // detached on Windows would otherwise open a console window
    });
  let child: ReturnType<typeof spawn>;
  try {
    child = spawn();
  } finally {
    // The child holds its own copy of the descriptor.
    closeSync(logFd);
  }
  const pid = child.pid;
  if (pid === undefined) {
    const result = await child;
    throw new Error(
      `could not start ${basename(command.file)} (${command.file}): ${result.originalMessage || result.message}. ` +
        'Check that the trainer environment exists (npm run setup:python).',
    );
  }
  child.unref();
  const info: ProcessInfo = {
    pid,
    pgid: process.platform === 'win32' ? null : pid,
    start_time: await processStartTime(pid),
    launched_at: Date.now() / 1000,
    argv: [command.file, ...command.args],
    platform: process.platform,
    launcher: command.launcher,
  };
  await writeJsonAtomic(files.processJson, info);
  const exited = child.then((result) => ({ exitCode: result.exitCode ?? null, signal: result.signal ?? null }));
  return { info, exited };
}
