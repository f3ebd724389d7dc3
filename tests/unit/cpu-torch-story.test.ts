// nvidia-smi shows GPUs (the two-gpus fake) but the trainer's torch is a CPU build: the hardware
// report, the recommender (method step) and the time estimate all tell the same story — training
// runs on the CPU, the budgets are the CPU's (RAM), and how to get a CUDA build.
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TrainerEnv } from '../../electron/shared/contract/hardware';
import { targetDevice } from '../../electron/services/estimator/time-estimate-inputs';
import { hardwareReport } from '../../electron/services/hardware/hardware-report';
import { budgetFromReport } from '../../electron/services/recommend/machine-budget';
import { recommend } from '../../electron/services/recommend/recommend';
import { SIX_B } from '../helpers/recommend-fixtures';

const SMI = resolve(__dirname, '..', 'fixtures', 'nvidia-smi');
const cpuTorch: TrainerEnv = {
  status: 'ok', detail: '', python: '/venv/bin/python', pythonVersion: '3.11', torchVersion: '2.13.0+cpu', torchCuda: null, cudaAvailable: false,
  mpsAvailable: false, devices: [], engines: { torch: { available: true, detail: '' }, deepspeed: { available: false, detail: 'not installed' } }, packages: {},
};

describe.skipIf(process.platform === 'win32')('GPUs with a CPU build of torch', () => {
  it('every answer says the same: CPU training, CPU budgets, how to get a CUDA build', async () => {
    const report = await hardwareReport({
      nvidia: { env: { PATH: process.env.PATH, TUNEDESK_NVIDIA_SMI: join(SMI, 'two-gpus') } },
      trainer: async () => cpuTorch,
      diskPath: process.cwd(),
    });
    expect(report.gpus.filter((g) => g.vendor === 'nvidia')).toHaveLength(2);
    const story = report.disagreements.find((d) => d.includes('CPU build'))!;
    expect(story).toMatch(/training runs on the CPU and the memory budgets are the CPU's \(system RAM\)/);
    expect(story).toMatch(/pip install --force-reinstall torch==2\.13\.0 --index-url \S+cu\d+/);

    const budget = budgetFromReport(report);
    expect(budget.device).toBe('cpu');
    expect(budget.gpuMemory).toEqual([]);
    const rec = recommend({ model: SIX_B, budget, seqLen: 512, microBatch: 1 });
    expect(rec.device).toBe('cpu');
    expect(rec.gpuCount).toBe(0);
    expect(rec.budgetBytes).toBe(report.host.memory!.availableBytes);
    expect(rec.warnings[0]).toBe(story);
    expect(rec.rows.every((r) => !/on the GPU|per GPU/.test(r.reason))).toBe(true);

    expect(targetDevice(report, {}, undefined).kind).toBe('cpu');
  });

  it('a CUDA build keeps the GPUs', async () => {
    const report = await hardwareReport({
      nvidia: { env: { PATH: process.env.PATH, TUNEDESK_NVIDIA_SMI: join(SMI, 'two-gpus') } },
      trainer: async () => ({ ...cpuTorch, torchVersion: '2.13.0', torchCuda: '12.8', cudaAvailable: true }),
      diskPath: process.cwd(),
    });
    expect(budgetFromReport(report).device).toBe('cuda');
    expect(report.disagreements.some((d) => d.includes('CPU build'))).toBe(false);
    expect(targetDevice(report, {}, undefined).kind).toBe('gpu');
  });
});
