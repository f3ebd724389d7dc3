// The machine report end to end (fixture nvidia-smi, real host probes), the trainer doctor through
// fake interpreters (TUNEDESK_TRAINER_PYTHON), and the disagreements spelled out between them.
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { hardwareReportSchema, type Gpu, type TrainerEnv } from '../../electron/shared/contract/hardware';
import { findDisagreements } from '../../electron/services/hardware/disagreements';
import { controllersToGpus } from '../../electron/services/hardware/graphics-fallback';
import { hardwareReport } from '../../electron/services/hardware/hardware-report';
import { HOST_PROBE_TIMEOUT_MS } from '../../electron/services/hardware/host-info';
import { parseDoctorJson, trainerDoctor } from '../../electron/services/python-env/doctor';
import { RUNTIME_DIR, trainerPythonPath, venvPython } from '../../electron/services/python-env/trainer-python';

const SMI = resolve(__dirname, '../fixtures/nvidia-smi');
const PY = resolve(__dirname, '../fixtures/trainer-python');
const savedPython = process.env.TUNEDESK_TRAINER_PYTHON;
afterEach(() => {
  if (savedPython === undefined) delete process.env.TUNEDESK_TRAINER_PYTHON;
  else process.env.TUNEDESK_TRAINER_PYTHON = savedPython;
});

const okTrainer = (over: Partial<TrainerEnv>): TrainerEnv => ({
  status: 'ok', detail: '', python: '/venv/bin/python', pythonVersion: '3.11', torchVersion: '2.13.0', torchCuda: '12.4', cudaAvailable: true,
  mpsAvailable: false, devices: [], engines: { torch: { available: true, detail: '' } }, packages: {}, ...over,
});
const a40: Gpu = {
  key: 'GPU-1', index: 0, uuid: 'GPU-1', busId: null, name: 'NVIDIA A40', vendor: 'nvidia', driverVersion: '535.104.05', memoryTotalBytes: 48e9,
  memoryUsedBytes: 0, memoryFreeBytes: 48e9, utilizationPct: 0, temperatureC: 30, powerDrawW: 50, powerLimitW: 300, migMode: null, unifiedMemory: false, source: 'nvidia-smi',
};

describe.skipIf(process.platform === 'win32')('hardware report', () => {
  it('combines the fixture GPUs, the host and the trainer into one schema-valid report', async () => {
    const report = await hardwareReport({
      nvidia: { env: { PATH: process.env.PATH, TUNEDESK_NVIDIA_SMI: join(SMI, 'two-gpus') } },
      trainer: async () => okTrainer({ torchCuda: null, torchVersion: '2.13.0+cpu', cudaAvailable: false }),
      diskPath: process.cwd(),
    });
    expect(hardwareReportSchema.parse(report)).toBeTruthy();
    expect(report.gpus).toHaveLength(2);
    expect(report.sources.map((s) => `${s.name}:${s.status}`)).toEqual(['nvidia-smi:ok', 'systeminformation:skipped']);
    expect(report.host.memory!.totalBytes).toBeGreaterThan(0);
    expect(report.host.disk!.freeBytes).toBeGreaterThan(0);
    expect(report.disagreements[0]).toMatch(/^2 NVIDIA GPUs found, but the trainer's torch \(2.13.0\+cpu\) is a CPU build: training runs on the CPU/);
  });

  it('still answers with the host when nvidia-smi hangs, bounded by its timeout', async () => {
    const started = performance.now();
    const report = await hardwareReport({
      nvidia: { env: { PATH: process.env.PATH, TUNEDESK_NVIDIA_SMI: join(SMI, 'hang') }, timeoutMs: 500 },
      skipTrainer: true,
      skipFallback: true,
      diskPath: process.cwd(),
    });
    expect(report.sources[0]!.status).toBe('timeout');
    expect(report.sources[0]!.elapsedMs).toBeLessThan(500 + 1000);
    // The host probes run alongside, each bounded by its own timeout.
    expect(performance.now() - started).toBeLessThan(HOST_PROBE_TIMEOUT_MS + 1000);
    expect(report.host.cpu).not.toBeNull();
    expect(report.trainer.status).toBe('skipped');
  });
});

describe('disagreements', () => {
  it('explains a CUDA build that cannot reach the GPU, and missing DeepSpeed with several GPUs', () => {
    const lines = findDisagreements([a40, { ...a40, key: 'GPU-2', index: 1 }], okTrainer({ cudaAvailable: false, engines: { deepspeed: { available: false, detail: '' } } }));
    expect(lines[0]).toMatch(/built for CUDA 12\.4 but cannot use the GPU \(driver 535\.104\.05\)/);
    expect(lines[1]).toMatch(/2 GPUs found, but DeepSpeed is not available/);
  });
  it('notices torch seeing fewer GPUs than nvidia-smi, and GPUs nvidia-smi missed', () => {
    expect(findDisagreements([a40, { ...a40, key: 'b' }], okTrainer({ devices: [{ index: 0, name: 'A40', totalMemoryBytes: 1 }] }))[0]).toMatch(/CUDA_VISIBLE_DEVICES/);
    expect(findDisagreements([], okTrainer({ devices: [{ index: 0, name: 'A40', totalMemoryBytes: 1 }] }))[0]).toMatch(/nvidia-smi did not report/);
  });
  it('says nothing when they agree', () => {
    expect(findDisagreements([a40], okTrainer({ devices: [{ index: 0, name: 'A40', totalMemoryBytes: 1 }] }))).toEqual([]);
  });
});

describe('non-NVIDIA graphics (systeminformation)', () => {
  it('runs si.graphics() in a child process that answers JSON, and stops it at the timeout', async () => {
    const { queryGraphicsFallback } = await import('../../electron/services/hardware/graphics-fallback');
    const real = await queryGraphicsFallback(20_000);
    expect(real.source.status, real.source.detail).toBe('ok');
    expect(Array.isArray(real.gpus)).toBe(true);
    const started = performance.now();
    const cut = await queryGraphicsFallback(1);
    expect(cut.source.status).toBe('timeout');
    expect(performance.now() - started).toBeLessThan(1500);
  });


  it('keeps unified memory unknown for Apple Silicon and reads AMD VRAM', () => {
    const gpus = controllersToGpus([
      { vendor: 'Apple', model: 'Apple M3 Max', vram: null, vramDynamic: true, busAddress: null, driverVersion: null },
      { vendor: 'Advanced Micro Devices, Inc. [AMD/ATI]', model: 'Radeon RX 7900 XTX', vram: 24576, vramDynamic: false, busAddress: '03:00.0', driverVersion: null },
    ]);
    expect(gpus[0]).toMatchObject({ vendor: 'apple', unifiedMemory: true, memoryTotalBytes: null });
    expect(gpus[1]).toMatchObject({ vendor: 'amd', unifiedMemory: false, memoryTotalBytes: 24576 * 1024 * 1024, key: 'pci:03:00.0' });
  });
});

describe('trainer doctor', () => {
  it('uses the same venv layout as the set-up scripts', async () => {
    const paths = (await import(resolve(RUNTIME_DIR, 'setup', 'python-paths.mjs'))) as { venvPython(dir: string): string };
    expect(venvPython('/x/.venv')).toBe(paths.venvPython('/x/.venv'));
    expect(venvPython('C:\\x\\.venv', 'win32')).toMatch(/Scripts.python\.exe$/);
    expect(trainerPythonPath({ TUNEDESK_TRAINER_PYTHON: '/opt/py' })).toBe('/opt/py');
  });

  it.skipIf(process.platform === 'win32')('parses a CPU-build environment and its engines', async () => {
    process.env.TUNEDESK_TRAINER_PYTHON = join(PY, 'cpu-torch');
    const env = await trainerDoctor(5000);
    expect(env).toMatchObject({ status: 'ok', pythonVersion: '3.11.9', torchVersion: '2.13.0+cpu', torchCuda: null, cudaAvailable: false, devices: [] });
    expect(env.engines.deepspeed).toEqual({ available: false, detail: 'not installed' });
    expect(env.packages).toEqual({ transformers: '5.17.0', peft: '0.21.0' });
  });

  it.skipIf(process.platform === 'win32')('reports a missing environment, a crash and a hang as statuses with reasons', async () => {
    process.env.TUNEDESK_TRAINER_PYTHON = join(PY, 'does-not-exist');
    expect(await trainerDoctor(5000)).toMatchObject({ status: 'missing', detail: expect.stringMatching(/npm run setup:python/) });
    process.env.TUNEDESK_TRAINER_PYTHON = join(PY, 'crash');
    expect(await trainerDoctor(5000)).toMatchObject({ status: 'error', detail: expect.stringMatching(/exit 1.*No module named 'torch'/) });
    process.env.TUNEDESK_TRAINER_PYTHON = join(PY, 'hang');
    const started = performance.now();
    expect(await trainerDoctor(400)).toMatchObject({ status: 'timeout' });
    expect(performance.now() - started).toBeLessThan(2500);
  });

  it('tolerates other shapes and missing fields', () => {
    const env = parseDoctorJson(
      JSON.stringify({ python_version: '3.12.1', torch_version: '2.5.0', cuda_version: '12.1', cuda_available: true, devices: [{ name: 'NVIDIA A40', total_memory: 48e9 }, { type: 'cpu', name: 'cpu' }], engines: ['torch', { name: 'deepspeed', available: true }] }),
      '/p',
    );
    expect(env).toMatchObject({ status: 'ok', pythonVersion: '3.12.1', torchCuda: '12.1', devices: [{ index: 0, name: 'NVIDIA A40', totalMemoryBytes: 48e9 }] });
    expect(Object.keys(env.engines)).toEqual(['torch', 'deepspeed']);
    expect(parseDoctorJson('Traceback: boom', '/p').status).toBe('error');
    expect(parseDoctorJson('{}', '/p')).toMatchObject({ status: 'ok', torchVersion: null, devices: [], engines: {} });
  });
});

describe('trainer doctor: CUDA machine shape', () => {
  it('reads CUDA devices with memory in GiB and the CUDA build', () => {
    const env = parseDoctorJson(
      JSON.stringify({
        torch: { version: '2.13.0+cu124', cuda_build: '12.4', cuda_available: true },
        devices: [{ type: 'cuda', index: 0, name: 'NVIDIA A40', total_gb: 44.4 }, { type: 'cpu', index: 0, name: 'x86_64', total_gb: 250 }],
        engines: { deepspeed: { available: true, reason: 'deepspeed 0.17' } },
      }),
      '/p',
    );
    expect(env.torchCuda).toBe('12.4');
    expect(env.devices).toEqual([{ index: 0, name: 'NVIDIA A40', totalMemoryBytes: 44.4 * 1024 ** 3 }]);
    expect(env.engines.deepspeed).toEqual({ available: true, detail: 'deepspeed 0.17' });
  });
});

describe('trainer doctor: the real trainer environment', () => {
  it('parses what python-runtime/.venv reports (torch version, engines)', async () => {
    delete process.env.TUNEDESK_TRAINER_PYTHON;
    const env = await trainerDoctor(60_000);
    expect(env.status, env.detail).toBe('ok');
    expect(env.torchVersion).toMatch(/^2\./);
    expect(env.engines.torch?.available).toBe(true);
    expect(env.packages.transformers).toMatch(/^5\./);
  });
});

describe('host probes', () => {
  it('report a probe that does not answer in time instead of waiting for it', async () => {
    const { hostInfo } = await import('../../electron/services/hardware/host-info');
    const started = performance.now();
    const host = await hostInfo(process.cwd(), 1); // 1 ms: every systeminformation probe is too slow
    expect(performance.now() - started).toBeLessThan(1000);
    expect(host.problems.length).toBeGreaterThan(0);
    expect(host.problems[0]).toMatch(/could not be read: no answer within 1 ms/);
  });
});
