// The trainer doctor's cache: reused while the environment is unchanged, asked again when the
// venv's packages, the visible GPUs or the clock say so, and never caching a failure.
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { TrainerEnv } from '../../electron/shared/contract/hardware';
import { cachedTrainerDoctor } from '../../electron/services/python-env/doctor-cache';

const root = mkdtempSync(join(tmpdir(), 'tunedesk-doctor-cache-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const venv = join(root, 'venv');
const python = join(venv, 'bin', 'python');
const site = join(venv, 'lib', 'python3.11', 'site-packages');
mkdirSync(join(venv, 'bin'), { recursive: true });
mkdirSync(site, { recursive: true });
writeFileSync(python, '');
writeFileSync(join(venv, 'pyvenv.cfg'), 'home = /usr/bin\n');

const answer = (status: TrainerEnv['status']): TrainerEnv => ({
  status, detail: status === 'ok' ? 'trainer environment found' : 'boom', python, pythonVersion: '3.11', torchVersion: '2.13.0', torchCuda: null,
  cudaAvailable: false, mpsAvailable: false, devices: [], engines: {}, packages: {},
});

function counter(status: TrainerEnv['status'] = 'ok') {
  const calls = { n: 0 };
  return { calls, run: async () => (calls.n++, answer(status)) };
}

describe('cachedTrainerDoctor', () => {
  it('reuses a good answer until the packages change, the GPUs change, --fresh, or it expires', async () => {
    const cacheDir = join(root, 'cache');
    const { calls, run } = counter();
    let clock = 1_000_000;
    const opts = { python, cacheDir, run, env: {}, now: () => clock };
    expect((await cachedTrainerDoctor(opts)).detail).toBe('trainer environment found');
    const second = await cachedTrainerDoctor(opts);
    expect(calls.n).toBe(1);
    expect(second.detail).toMatch(/checked 0 min ago; `tunedesk doctor --fresh` checks again/);

    await cachedTrainerDoctor({ ...opts, env: { CUDA_VISIBLE_DEVICES: '1' } });
    expect(calls.n).toBe(2);

    const later = new Date(Date.now() + 60_000);
    utimesSync(site, later, later); // pip install touched site-packages
    await cachedTrainerDoctor(opts);
    expect(calls.n).toBe(3);
    await cachedTrainerDoctor(opts);
    expect(calls.n).toBe(3);

    await cachedTrainerDoctor({ ...opts, fresh: true });
    expect(calls.n).toBe(4);

    clock += 7 * 60 * 60 * 1000;
    await cachedTrainerDoctor(opts);
    expect(calls.n).toBe(5);
  });

  it('does not cache failures', async () => {
    const { calls, run } = counter('error');
    const opts = { python, cacheDir: join(root, 'cache-fail'), run, env: {} };
    await cachedTrainerDoctor(opts);
    await cachedTrainerDoctor(opts);
    expect(calls.n).toBe(2);
  });
});
