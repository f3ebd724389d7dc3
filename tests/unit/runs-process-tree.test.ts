import { execa } from 'execa';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  groupMembersLinux,
  isPidAlive,
  isSameProcessAlive,
  parseProcStat,
  processStartTime,
  stopProcessTree,
  taskkillCommand,
  windowsStartTimeCommand,
} from '../../electron/services/runs/process-tree';

const fixture = join(__dirname, '..', 'fixtures', 'fake-processes', 'spawns-child.mjs');
const linux = process.platform === 'linux';

describe('process identity', () => {
  it('parses /proc/<pid>/stat even when the command name has spaces and parentheses', () => {
    const line = '1234 (tune (desk) x) S 1 1234 1234 0 -1 4194560 100 0 0 0 5 1 0 0 20 0 3 0 987654 1000000 200';
    expect(parseProcStat(line)).toEqual({ state: 'S', ppid: 1, pgrp: 1234, startTicks: '987654' });
    expect(parseProcStat('garbage')).toBeNull();
  });

  it.runIf(linux)('gives this process a stable start time and none to a pid that does not exist', async () => {
    const a = await processStartTime(process.pid);
    expect(a).toMatch(/^linux:\d+$/);
    expect(await processStartTime(process.pid)).toBe(a);
    expect(await processStartTime(2 ** 22 + 17)).toBeNull();
    expect(await isSameProcessAlive(process.pid, a)).toBe(true);
    // Same pid, different start time: a reused pid is not our process.
    expect(await isSameProcessAlive(process.pid, 'linux:1')).toBe(false);
  });

  it('builds the Windows commands for start time and tree kill', () => {
    expect(taskkillCommand(4242)).toEqual({ file: 'taskkill', args: ['/T', '/F', '/PID', '4242'] });
    const start = windowsStartTimeCommand(4242);
    expect(start.file).toBe('powershell.exe');
    expect(start.args.at(-1)).toContain('Get-Process -Id 4242');
  });
});

describe.runIf(linux)('stopping a process tree', () => {
  let dir = '';
  let leader = 0;
  afterEach(() => {
    // a failed assertion must not leak the tree into the next test
    if (leader) {
      try {
        process.kill(-leader, 'SIGKILL');
      } catch {
        // already gone: the test ended it
      }
    }
    leader = 0;
    rmSync(dir, { recursive: true, force: true });
  });

  async function startTree(env: Record<string, string>) {
    dir = mkdtempSync(join(tmpdir(), 'tunedesk-tree-'));
    const child = execa(process.execPath, [fixture], { cwd: dir, detached: true, stdio: 'ignore', env, reject: false });
    child.unref();
    const pid = child.pid!;
    leader = pid;
    // wait until both descendants exist
    for (let i = 0; i < 100 && !existsSync(join(dir, 'grandchild.pid')); i++) await new Promise((r) => setTimeout(r, 50));
    const descendants = [Number(readFileSync(join(dir, 'child.pid'), 'utf8')), Number(readFileSync(join(dir, 'grandchild.pid'), 'utf8'))];
    return { pid, descendants, stopFile: join(dir, 'STOP') };
  }

  it('ends the whole group with SIGTERM when the STOP file is ignored, leaving nothing', async () => {
    const { pid, descendants, stopFile } = await startTree({});
    expect(groupMembersLinux(pid).sort()).toEqual([pid, ...descendants].sort());
    const stage = await stopProcessTree({ pid, pgid: pid, stopFile }, { cooperativeMs: 300, termMs: 3000 });
    expect(stage).toBe('sigterm');
    expect(existsSync(stopFile)).toBe(true);
    expect(groupMembersLinux(pid)).toEqual([]);
    for (const p of [pid, ...descendants]) expect(isPidAlive(p)).toBe(false);
  });

  it('escalates to SIGKILL when SIGTERM is ignored', async () => {
    const { pid, descendants, stopFile } = await startTree({ IGNORE_TERM: '1' });
    const stage = await stopProcessTree({ pid, pgid: pid, stopFile }, { cooperativeMs: 200, termMs: 500 });
    expect(stage).toBe('sigkill');
    for (const p of [pid, ...descendants]) expect(isPidAlive(p)).toBe(false);
  });

  it('waits for the cooperative stop and still ends a leftover grandchild', async () => {
    // HONOR_STOP: the parent kills its child and exits on STOP, but the grandchild lives on in
    // the group — the stop is not done until it is gone too.
    const { pid, descendants, stopFile } = await startTree({ HONOR_STOP: '1' });
    const stage = await stopProcessTree({ pid, pgid: pid, stopFile }, { cooperativeMs: 1000, termMs: 3000 });
    expect(stage).toBe('sigterm');
    expect(groupMembersLinux(pid)).toEqual([]);
    for (const p of descendants) expect(isPidAlive(p)).toBe(false);
  });

  it('reports a tree that is already gone', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tunedesk-tree-'));
    expect(await stopProcessTree({ pid: 2 ** 22 + 17, pgid: 2 ** 22 + 17, stopFile: join(dir, 'STOP') })).toBe('already-gone');
  });
});
