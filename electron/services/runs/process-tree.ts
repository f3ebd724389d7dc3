// Owning the trainer's process tree: identify a process (pid + start time, because pids are
// reused), tell whether anything of a run is still alive, and end it — cooperatively first
// (STOP file), then SIGTERM to the whole process group, then SIGKILL. On Windows, where there
// are no process groups, the tree is ended with `taskkill /T /F`.
import { readFileSync, readdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { execa } from 'execa';

export interface Command {
  file: string;
  args: string[];
}

/** Fields of /proc/<pid>/stat after "pid (comm)": comm may itself contain spaces and parentheses. */
export function parseProcStat(text: string): { state: string; ppid: number; pgrp: number; startTicks: string } | null {
  const close = text.lastIndexOf(')');
  if (close === -1) return null;
  const fields = text.slice(close + 2).trim().split(/\s+/);
  // fields[0] is field 3 (state); starttime is field 22 -> index 19.
  if (fields.length < 20) return null;
  return { state: fields[0]!, ppid: Number(fields[1]), pgrp: Number(fields[2]), startTicks: fields[19]! };
}

function readProcStat(pid: number) {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return null;
  }
}

/** The PowerShell command that prints a process's start time (UTC, ISO 8601). */
export function windowsStartTimeCommand(pid: number): Command {
  return {
    file: 'powershell.exe',
    args: ['-NoProfile', '-NonInteractive', '-Command', `(Get-Process -Id ${pid}).StartTime.ToUniversalTime().ToString('o')`],
  };
}

/** The command that ends a whole process tree on Windows. */
export function taskkillCommand(pid: number): Command {
  return { file: 'taskkill', args: ['/T', '/F', '/PID', String(pid)] };
}

/**
 * A token that identifies when a process started; compare tokens, never parse them.
 * Linux: "linux:<starttime ticks since boot>" from /proc; macOS: `ps -o lstart=`; Windows: PowerShell.
 * Null when the process does not exist.
 */
export async function processStartTime(pid: number, platform: NodeJS.Platform = process.platform): Promise<string | null> {
  if (platform === 'linux') {
    const stat = readProcStat(pid);
    return stat && stat.state !== 'Z' ? `linux:${stat.startTicks}` : null;
  }
  const command = platform === 'win32' ? windowsStartTimeCommand(pid) : { file: 'ps', args: ['-o', 'lstart=', '-p', String(pid)] };
  const result = await execa(command.file, command.args, { reject: false, timeout: 5000 });
  const out = String(result.stdout ?? '').trim();
  return result.exitCode === 0 && out !== '' ? `${platform}:${out}` : null;
}

/** Whether a pid names a live process (a zombie counts as gone: it only waits to be reaped). */
export function isPidAlive(pid: number): boolean {
  if (process.platform === 'linux') {
    const stat = readProcStat(pid);
    return stat !== null && stat.state !== 'Z';
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether the process recorded in process.json is the one still running (pid AND start time match). */
export async function isSameProcessAlive(pid: number, startTime: string | null): Promise<boolean> {
  if (startTime === null || !isPidAlive(pid)) return false;
  return (await processStartTime(pid)) === startTime;
}

/** Linux: live members of a process group (from /proc). */
export function groupMembersLinux(pgid: number): number[] {
  const members: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readProcStat(Number(name));
    if (stat && stat.pgrp === pgid && stat.state !== 'Z') members.push(Number(name));
  }
  return members;
}

/** Whether any process of the group is still alive. */
export function isGroupAlive(pgid: number): boolean {
  if (process.platform === 'linux') return groupMembersLinux(pgid).length > 0;
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitUntil(done: () => boolean, timeoutMs: number, everyMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (done()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(everyMs);
  }
}

export interface StopTarget {
  pid: number;
  pgid: number | null;
  stopFile: string;
}

export interface StopOptions {
  /** How long the trainer gets to finish its step and save after the STOP file appears. */
  cooperativeMs?: number;
  /** How long after SIGTERM before SIGKILL. */
  termMs?: number;
  platform?: NodeJS.Platform;
}

export type StopStage = 'already-gone' | 'cooperative' | 'sigterm' | 'sigkill' | 'taskkill';

/** Ends a run's process tree; resolves to the stage that ended it once nothing of it is left. */
export async function stopProcessTree(target: StopTarget, options: StopOptions = {}): Promise<StopStage> {
  const platform = options.platform ?? process.platform;
  const cooperativeMs = options.cooperativeMs ?? 60_000;
  const termMs = options.termMs ?? 10_000;
  const alive =
    platform === 'win32' || target.pgid === null ? () => isPidAlive(target.pid) : () => isGroupAlive(target.pgid!);
  if (!alive()) return 'already-gone';
  await writeFile(target.stopFile, `stop requested at ${new Date().toISOString()}\n`);
  if (await waitUntil(() => !alive(), cooperativeMs, 200)) return 'cooperative';
  if (platform === 'win32' || target.pgid === null) {
    const { file, args } = taskkillCommand(target.pid);
    await execa(file, args, { reject: false, timeout: 30_000 });
    await waitUntil(() => !alive(), termMs);
    return 'taskkill';
  }
  signalGroup(target.pgid, 'SIGTERM');
  if (await waitUntil(() => !alive(), termMs)) return 'sigterm';
  signalGroup(target.pgid, 'SIGKILL');
  await waitUntil(() => !alive(), 5000, 50);
  return 'sigkill';
}
