// The cross-process run lock's edges: a release after the runs root was removed is a quiet no-op
// (a manager finishing a run while its folder is deleted must not crash the host), and only the
// run a lock names can release it.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireRunLocks, deviceLocks, releaseRunLocks } from '../../electron/services/runs/run-lock';

describe('run lock', () => {
  it('releases quietly when the runs root is gone', async () => {
    const root = mkdtempSync(join(tmpdir(), 'tunedesk-lock-'));
    const locks = deviceLocks(root, []);
    expect(await acquireRunLocks(locks, 'a')).toBe(true);
    rmSync(root, { recursive: true, force: true });
    await expect(releaseRunLocks(locks, 'a')).resolves.toBeUndefined();
  });

  it('is released only by the run it names', async () => {
    const root = mkdtempSync(join(tmpdir(), 'tunedesk-lock-'));
    const locks = deviceLocks(root, []);
    expect(await acquireRunLocks(locks, 'a')).toBe(true);
    expect(await acquireRunLocks(locks, 'b')).toBe(false); // held by a live process (this one)
    await releaseRunLocks(locks, 'b');
    expect(existsSync(locks[0]!)).toBe(true);
    await releaseRunLocks(locks, 'a');
    expect(existsSync(locks[0]!)).toBe(false);
    expect(existsSync(`${locks[0]!}.guard`)).toBe(false);
    rmSync(root, { recursive: true, force: true });
  });
});
