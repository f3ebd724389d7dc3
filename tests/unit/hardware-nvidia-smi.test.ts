// nvidia-smi through the real spawning path: TUNEDESK_NVIDIA_SMI points at the fixture scripts in
// tests/fixtures/nvidia-smi (1, 2, 8 GPUs, MIG, [N/A], garbage, every documented exit code, a
// hang, none installed).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { queryNvidiaSmi } from '../../electron/services/hardware/nvidia-smi';

const FIXTURES = resolve(__dirname, '../fixtures/nvidia-smi');
const scratch = mkdtempSync(join(tmpdir(), 'tunedesk-smi-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const withFixture = (name: string, extra: NodeJS.ProcessEnv = {}) => ({
  env: { PATH: process.env.PATH, TUNEDESK_NVIDIA_SMI: join(FIXTURES, name), ...extra },
});

const GiB = 1024 ** 3;

/** Alive and not a zombie (a killed orphan stays a zombie until PID 1 reaps it, in containers maybe never). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return process.platform !== 'linux';
  }
}

describe.skipIf(process.platform === 'win32')('nvidia-smi', () => {
  it('reads one GPU, keyed by uuid, memory in bytes, [N/A] MIG mode as unknown', async () => {
    const { gpus, source } = await queryNvidiaSmi(withFixture('one-gpu'));
    expect(source).toMatchObject({ status: 'ok', exitCode: 0, path: join(FIXTURES, 'one-gpu') });
    expect(gpus).toHaveLength(1);
    expect(gpus[0]).toMatchObject({
      key: 'GPU-3f4e1d2c-0a1b-4c5d-8e9f-0123456789ab', index: 0, busId: '00000000:17:00.0', name: 'NVIDIA A40', driverVersion: '535.104.05',
      memoryTotalBytes: 46068 * 1024 * 1024, memoryFreeBytes: 45120 * 1024 * 1024, utilizationPct: 3, temperatureC: 34, powerDrawW: 71.25, powerLimitW: 300, migMode: null,
    });
  });

  it('reads two and eight GPUs', async () => {
    const two = await queryNvidiaSmi(withFixture('two-gpus'));
    expect(two.gpus.map((g) => g.name)).toEqual(['NVIDIA GeForce RTX 4090', 'NVIDIA GeForce RTX 3090']);
    const eight = await queryNvidiaSmi(withFixture('eight-gpus'));
    expect(eight.gpus).toHaveLength(8);
    expect(new Set(eight.gpus.map((g) => g.key)).size).toBe(8);
    expect(eight.gpus.every((g) => g.migMode === 'disabled' && g.memoryTotalBytes! > 79 * GiB)).toBe(true);
    expect(eight.source.detail).toMatch(/^8 NVIDIA GPUs/);
  });

  it('flags MIG mode', async () => {
    const { gpus, source } = await queryNvidiaSmi(withFixture('mig'));
    expect(gpus[0]).toMatchObject({ migMode: 'enabled', utilizationPct: null });
    expect(source.detail).toMatch(/MIG mode: training sees MIG instances/);
  });

  it('turns [N/A] and [Not Supported] into unknown, never 0', async () => {
    const { gpus } = await queryNvidiaSmi(withFixture('na-fields'));
    expect(gpus[0]).toMatchObject({ utilizationPct: null, powerDrawW: null, powerLimitW: null, migMode: null, temperatureC: 40, memoryTotalBytes: 8192 * 1024 * 1024 });
  });

  it('reports garbage output as an error, quoting it', async () => {
    const { gpus, source } = await queryNvidiaSmi(withFixture('garbage'));
    expect(gpus).toEqual([]);
    expect(source.status).toBe('error');
    expect(source.detail).toMatch(/no GPU line could be read: "WARNING: infoROM is corrupted/);
  });

  it.each([
    [2, /invalid argument/],
    [3, /not available on this GPU/],
    [4, /insufficient permissions/],
    [6, /query was unsuccessful/],
    [8, /power cables/],
    [9, /driver is not loaded/],
    [10, /interrupt/],
    [12, /NVML library .* could not be found/],
    [13, /does not implement/],
    [14, /infoROM is corrupted/],
    [15, /fallen off the bus/],
    [255, /internal driver error/],
    [77, /exited with code 77/],
  ])('explains exit code %i', async (code, explanation) => {
    const { gpus, source } = await queryNvidiaSmi(withFixture('fail', { FAKE_SMI_EXIT: String(code), FAKE_SMI_STDERR: 'NVIDIA-SMI has failed' }));
    expect(gpus).toEqual([]);
    expect(source).toMatchObject({ status: 'error', exitCode: code });
    expect(source.detail).toMatch(explanation);
    expect(source.detail).toMatch(/NVIDIA-SMI has failed/);
  });

  it('reports an nvidia-smi killed by a signal', async () => {
    const { source } = await queryNvidiaSmi(withFixture('crash'));
    expect(source).toMatchObject({ status: 'error' });
    expect(source.detail).toMatch(/killed by SIGSEGV/);
  });

  it('recognises a driver/library version mismatch from stderr', async () => {
    const { source } = await queryNvidiaSmi(withFixture('fail', { FAKE_SMI_EXIT: '18', FAKE_SMI_STDERR: 'Failed to initialize NVML: Driver/library version mismatch' }));
    expect(source.detail).toMatch(/version mismatch.*reboot/);
  });

  it('kills a hanging nvidia-smi at the timeout and answers within timeout + 1 s', async () => {
    const pidFile = join(scratch, 'hang.pid');
    const started = performance.now();
    const { gpus, source } = await queryNvidiaSmi({ ...withFixture('hang', { FAKE_SMI_PIDFILE: pidFile }), timeoutMs: 600 });
    const elapsed = performance.now() - started;
    expect(gpus).toEqual([]);
    expect(source.status).toBe('timeout');
    expect(source.detail).toMatch(/did not answer within 600 ms/);
    expect(elapsed).toBeGreaterThanOrEqual(550);
    expect(elapsed).toBeLessThan(1600);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(running(pid)).toBe(false); // the process is gone
  });

  it('stops the whole process group when a helper holds the pipe open', async () => {
    const pidFile = join(scratch, 'helper.pid');
    const started = performance.now();
    const { source } = await queryNvidiaSmi({ ...withFixture('hang-with-helper', { FAKE_SMI_PIDFILE: pidFile }), timeoutMs: 500 });
    expect(source.status).toBe('timeout');
    expect(performance.now() - started).toBeLessThan(1500);
    const helper = Number(readFileSync(pidFile, 'utf8'));
    await new Promise((r) => setTimeout(r, 400)); // SIGKILL follows SIGTERM after a short grace
    expect(running(helper)).toBe(false); // the helper is gone too, not leaked
  });

  it('reports none installed: no override, nothing on PATH, no driver locations', async () => {
    const { gpus, source } = await queryNvidiaSmi({ env: { PATH: scratch }, platform: 'linux', fallbackPaths: [join(scratch, 'nvidia-smi')] });
    expect(gpus).toEqual([]);
    expect(source).toMatchObject({ status: 'absent', path: null });
    expect(source.detail).toMatch(/not installed/);
  });

  it('says when TUNEDESK_NVIDIA_SMI names something that is not there', async () => {
    const { source } = await queryNvidiaSmi({ env: { TUNEDESK_NVIDIA_SMI: join(scratch, 'missing-smi') } });
    expect(source.status).toBe('absent');
    expect(source.detail).toMatch(/TUNEDESK_NVIDIA_SMI names .*missing-smi, which is not an executable file/);
  });

  it('finds nvidia-smi on PATH', async () => {
    const { mkdirSync, copyFileSync, chmodSync } = await import('node:fs');
    const bin = join(scratch, 'bin');
    mkdirSync(bin, { recursive: true });
    copyFileSync(join(FIXTURES, 'one-gpu'), join(bin, 'nvidia-smi'));
    copyFileSync(join(FIXTURES, '_check-args.sh'), join(bin, '_check-args.sh'));
    chmodSync(join(bin, 'nvidia-smi'), 0o755);
    const { gpus, source } = await queryNvidiaSmi({ env: { PATH: `${bin}:${process.env.PATH}` }, platform: 'linux', fallbackPaths: [] });
    expect(source.detail).toMatch(/via PATH/);
    expect(gpus).toHaveLength(1);
  });

  it('on Windows looks in System32, then the newest driver-store copy', async () => {
    const { mkdirSync, copyFileSync, chmodSync, utimesSync } = await import('node:fs');
    const windir = join(scratch, 'Windows');
    const store = join(windir, 'System32', 'DriverStore', 'FileRepository');
    const place = (dir: string, fixture: string, ageS: number) => {
      mkdirSync(dir, { recursive: true });
      copyFileSync(join(FIXTURES, fixture), join(dir, 'nvidia-smi.exe'));
      copyFileSync(join(FIXTURES, '_check-args.sh'), join(dir, '_check-args.sh'));
      chmodSync(join(dir, 'nvidia-smi.exe'), 0o755);
      const t = new Date(Date.now() - ageS * 1000);
      utimesSync(join(dir, 'nvidia-smi.exe'), t, t);
    };
    place(join(store, 'nvlti.inf_amd64_old'), 'eight-gpus', 3600);
    place(join(store, 'nvlti.inf_amd64_new'), 'two-gpus', 10);
    const fromStore = await queryNvidiaSmi({ env: { PATH: process.env.PATH, WINDIR: windir }, platform: 'win32' });
    expect(fromStore.source.detail).toMatch(/via driver store/);
    expect(fromStore.gpus).toHaveLength(2); // the newest copy
    place(join(windir, 'System32'), 'one-gpu', 0);
    const fromSystem32 = await queryNvidiaSmi({ env: { PATH: process.env.PATH, WINDIR: windir }, platform: 'win32' });
    expect(fromSystem32.source.detail).toMatch(/via System32/);
    expect(fromSystem32.gpus).toHaveLength(1);
  });

  it('on macOS there is no NVIDIA driver to ask', async () => {
    const { source } = await queryNvidiaSmi({ env: { PATH: process.env.PATH }, platform: 'darwin' });
    expect(source).toMatchObject({ status: 'absent', detail: 'macOS has no NVIDIA driver' });
  });
});
