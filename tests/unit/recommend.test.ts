// Recommendation cases from the issue: a 6B model on 8, 24, 48 and 80 GB, 4 x 24 GB, CPU only,
// models with remote code; plus host RAM for offload, disk for checkpoints and presets.
import { describe, expect, it } from 'vitest';
import { recommendationSchema } from '../../electron/shared/contract/recommend';
import type { HardwareReport } from '../../electron/shared/contract/hardware';
import { budgetFromReport, GpuSelectionError } from '../../electron/services/recommend/machine-budget';
import { loadPresets } from '../../electron/services/recommend/presets-store';
import { recommend } from '../../electron/services/recommend/recommend';
import { CPU_RUNTIME_BYTES, CUDA_CONTEXT_BYTES } from '../../electron/services/estimator/estimate';
import { CHATGLM2_6B_CONFIG, CHATGLM_6B_CONFIG } from '../helpers/estimator-calibration-rows';
import { CPU_ONLY, GiB, gpuBudget, modelFromConfig, SIX_B } from '../helpers/recommend-fixtures';

const run = (budget: ReturnType<typeof gpuBudget>, over: { seqLen?: number; model?: typeof SIX_B } = {}) =>
  recommendationSchema.parse(recommend({ model: over.model ?? SIX_B, budget, seqLen: over.seqLen ?? 1024, microBatch: 1 }));
const verdicts = (r: ReturnType<typeof run>) => Object.fromEntries(r.rows.map((row) => [row.planId, row.verdict]));

describe('recommend: a 6B model', () => {
  it('on 8 GB nothing fits with margin (only ZeRO-3 offload squeezes in), and it says what to change', () => {
    const r = run(gpuBudget(8));
    expect(r.best).toBeNull();
    expect(r.rows[0]).toMatchObject({ planId: 'full-zero3-offload', verdict: 'tight' });
    expect(r.rows.slice(1).every((row) => row.verdict === 'does-not-fit')).toBe(true);
    expect(r.rows.find((row) => row.planId === 'lora-r16')!.reason).toMatch(/does not fit: about 1\d\.\d GiB on the GPU, 8\.0 GiB available \(short by/);
    expect(r.warnings.join(' ')).toMatch(/no plan fits with margin/);
  });

  it('on 24 GB with plenty of host RAM: full training through ZeRO-3 offload, and it says the cost', () => {
    const r = run(gpuBudget(24));
    expect(r.best).toBe('full-zero3-offload');
    expect(r.rows[0]!.reason).toMatch(/offload keeps about 1\d\d\.\d GiB in host RAM and makes each step several times slower/);
  });

  it('on 24 GB with 64 GB of RAM: LoRA is best, Freeze and full training do not fit', () => {
    const r = run(gpuBudget(24, 1, { hostRamAvailableBytes: 64 * GiB }));
    expect(r.best).toBe('lora-r16');
    expect(r.rows[0]!.planId).toBe('lora-r16');
    // Without checkpointing, adapters on every projection (the trainer's default) keep the MLP's
    // inputs too: more than 80% of 24 GB at this length (before the chunked loss dropped the
    // 0.9 GB of 64k-vocabulary logits it did not fit at all).
    expect(verdicts(r)).toMatchObject({ 'lora-r16': 'fits', freeze: 'does-not-fit', full: 'does-not-fit', 'lora-r8-nockpt': 'tight' });
    expect(r.rows[0]!.marginBytes).toBeGreaterThan(0.2 * 24 * GiB);
  });

  it('on 48 GB: Freeze fits with margin and ranks above LoRA', () => {
    const r = run(gpuBudget(48, 1, { hostRamAvailableBytes: 64 * GiB }));
    expect(r.best).toBe('freeze');
    const order = r.rows.map((row) => row.planId);
    expect(order.indexOf('freeze')).toBeLessThan(order.indexOf('lora-r16'));
  });

  it('on 80 GB: full training with ZeRO-3 offload when host RAM allows it, else Freeze', () => {
    expect(run(gpuBudget(80)).best).toBe('full-zero3-offload');
    const lowRam = run(gpuBudget(80, 1, { hostRamAvailableBytes: 64 * GiB }));
    expect(lowRam.best).toBe('freeze');
    const offload = lowRam.rows.find((row) => row.planId === 'full-zero3-offload')!;
    expect(offload).toMatchObject({ verdict: 'does-not-fit' });
    expect(offload.reason).toMatch(/offload needs about 1\d\d\.\d GiB of host RAM, 64\.0 GiB available/);
  });

  it('never recommends what the installed engines cannot run, and says what unlocks it', () => {
    const r = run(gpuBudget(80, 1, { deepspeed: false, deepspeedDetail: 'DeepSpeed is not installed' }));
    expect(r.best).toBe('freeze');
    const zero3 = r.rows.find((row) => row.planId === 'full-zero3-offload')!;
    expect(zero3.verdict).toBe('unavailable');
    expect(zero3.needs.join(' ')).toMatch(/install DeepSpeed to unlock ZeRO-3/);
    expect(r.rows.slice(-1)[0]!.verdict).toBe('unavailable'); // unavailable ones rank last
  });

  it('on 4 x 24 GB: plans run on all four GPUs, optimizer states split', () => {
    const r = run(gpuBudget(24, 4));
    expect(r.best).toBe('full-zero3-offload');
    expect(r.gpuCount).toBe(4);
    expect(r.rows.every((row) => row.settings.gpus === 4)).toBe(true);
    const freeze = r.rows.find((row) => row.planId === 'freeze')!;
    expect(freeze.estimate.perGpuBytes).toBeLessThan(run(gpuBudget(24)).rows.find((row) => row.planId === 'freeze')!.estimate.perGpuBytes);
    expect(freeze.reason).toMatch(/per GPU/);
  });

  it('on 4 x 24 GB without DeepSpeed: ranks one-GPU plans and offers the rest as unavailable', () => {
    const r = run(gpuBudget(24, 4, { deepspeed: false, deepspeedDetail: 'not installed' }));
    expect(r.best).toBe('lora-r16');
    expect(r.rows.find((row) => row.planId === 'lora-r16')!.settings.gpus).toBe(1);
    expect(r.rows.find((row) => row.planId === 'freeze-x4')).toMatchObject({ verdict: 'unavailable' });
    expect(r.warnings.join(' ')).toMatch(/4 GPUs, but DeepSpeed is not available/);
  });

  it('on CPU only: RAM is the budget, fp32, DeepSpeed plans unavailable, slowness said', () => {
    const r = recommend({ model: SIX_B, budget: CPU_ONLY, seqLen: 512, microBatch: 1 });
    expect(r.device).toBe('cpu');
    expect(r.budgetBytes).toBe(48 * GiB);
    expect(r.rows.every((row) => row.settings.dtype === 'fp32')).toBe(true);
    expect(r.rows.filter((row) => row.settings.zeroStage > 0).every((row) => row.verdict === 'unavailable')).toBe(true);
    const lora = r.rows.find((row) => row.planId === 'lora-r16')!;
    expect(lora.reason).toMatch(/of RAM/);
    // Said once for the table, not repeated on every row; each row's figure is its reason's.
    expect(r.warnings).toContain('training runs on the CPU: slow, fine for small models and the demo');
    expect(r.rows.some((row) => row.reason.includes('slow'))).toBe(false);
    expect(lora.reason).toContain(`about ${(lora.estimate.perGpuBytes / GiB).toFixed(1)} GiB of RAM`);
  });

  it('never says "0.0 GiB": a tiny model on the CPU keeps two decimals or says under 0.01 GiB', () => {
    const tiny = modelFromConfig({ model_type: 'llama', hidden_size: 64, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 4, intermediate_size: 128, vocab_size: 512, max_position_embeddings: 512 });
    const r = recommend({ model: tiny, budget: CPU_ONLY, seqLen: 64, microBatch: 1 });
    for (const row of r.rows) expect(row.reason).not.toMatch(/\b0\.0 GiB/);
    expect(r.rows[0]!.reason).toMatch(/(about 0\.\d\d|: under 0\.01) GiB of RAM/);
    for (const row of r.rows) expect(row.reason).not.toMatch(/about under/);
  });

  it("on the CPU the process's own runtime is counted: a tiny model is not 'under 0.01 GiB'", () => {
    // The trainer benchmark's model (python-runtime/bench): measured 0.33-0.37 GiB RSS before its
    // 16 MB of weights load and 0.63-0.70 GB peak while training LoRA at 8 x 512 tokens.
    const bench = modelFromConfig({ model_type: 'qwen2', hidden_size: 256, num_hidden_layers: 4, num_attention_heads: 4, num_key_value_heads: 1, intermediate_size: 768, vocab_size: 2048, max_position_embeddings: 1024 });
    const small = recommend({ model: bench, budget: CPU_ONLY, seqLen: 64, microBatch: 1 });
    for (const row of small.rows) {
      expect(row.estimate.breakdown.overhead).toBeGreaterThanOrEqual(CPU_RUNTIME_BYTES);
      expect(row.estimate.perGpuBytes / GiB).toBeGreaterThan(0.35);
      expect(row.estimate.perGpuBytes / GiB).toBeLessThan(0.5);
    }
    const lora = recommend({ model: bench, budget: CPU_ONLY, seqLen: 512, microBatch: 8 }).rows.find((row) => row.planId === 'lora-r8-nockpt')!;
    expect(lora.estimate.perGpuBytes / GiB).toBeGreaterThan(0.6); // fp32, padded rows: above the measured bf16 packed peak
    expect(lora.estimate.perGpuBytes / GiB).toBeLessThan(1.5);
    expect(lora.reason).toMatch(/about \d\.\d+ GiB of RAM/);
    // On a GPU the CUDA context stands in its place, as before.
    const gpu = run(gpuBudget(24), { model: bench }).rows.find((row) => row.planId === 'lora-r8')!;
    expect(gpu.estimate.breakdown.overhead).toBeGreaterThanOrEqual(CUDA_CONTEXT_BYTES);
  });

  it('warns about free disk for the planned checkpoints', () => {
    const r = run(gpuBudget(80, 1, { freeDiskBytes: 10 * GiB }));
    expect(r.rows.find((row) => row.planId === 'freeze')!.needs.join(' ')).toMatch(/2 checkpoints need about \d+\.\d GiB of disk, 10\.0 GiB free/);
    expect(r.rows.find((row) => row.planId === 'lora-r16')!.needs).toEqual([]); // adapters are small
  });
});

describe('recommend: models with remote code', () => {
  it('ChatGLM2: remote code reported and "needs import-chatglm" on every runnable plan', () => {
    const glm2 = modelFromConfig(CHATGLM2_6B_CONFIG, {
      chatglmGeneration: 'chatglm2-6b', remoteCode: { AutoModel: 'modeling_chatglm.ChatGLMForConditionalGeneration' }, needs: ['needs import-chatglm: convert it once'],
    });
    const r = run(gpuBudget(24), { model: glm2 });
    expect(r.warnings.join(' ')).toMatch(/asks for remote code \(AutoModel\): it is reported, never run/);
    expect(r.best).not.toBeNull();
    expect(r.rows.filter((row) => row.verdict !== 'unavailable').every((row) => row.needs.some((n) => n.startsWith('needs import-chatglm')))).toBe(true);
  });

  it('ChatGLM-6B: every plan unavailable, pointing at the legacy environment', () => {
    const glm1 = modelFromConfig(CHATGLM_6B_CONFIG, { chatglmGeneration: 'chatglm-6b', remoteCode: { AutoModel: 'x' }, needs: ['legacy environment: ...'] });
    const r = run(gpuBudget(80), { model: glm1 });
    expect(r.best).toBeNull();
    expect(r.rows.every((row) => row.verdict === 'unavailable')).toBe(true);
    expect(r.rows[0]!.reason).toMatch(/legacy environment/);
  });

  it('ChatGLM-6B with its legacy environment ready: judged normally, except P-Tuning and DeepSpeed', () => {
    const glm1 = modelFromConfig(CHATGLM_6B_CONFIG, {
      chatglmGeneration: 'chatglm-6b', remoteCode: { AutoModel: 'x' },
      needs: ['legacy environment: ...', 'needs convert-weights: the weights are pickle files (.bin)'],
    });
    const ready = (budget: ReturnType<typeof gpuBudget>) =>
      recommendationSchema.parse(recommend({ model: glm1, budget, seqLen: 1024, microBatch: 1, legacyChatglmReady: true }));
    const r = ready(gpuBudget(80, 1, { hostRamAvailableBytes: 64 * GiB }));
    expect(r.best).toBe('freeze');
    const byId = Object.fromEntries(r.rows.map((row) => [row.planId, row]));
    expect(verdicts(r)).toMatchObject({ freeze: 'fits', 'lora-r16': 'fits', full: 'does-not-fit', 'ptuning-v1': 'unavailable', 'ptuning-v2': 'unavailable' });
    for (const id of ['ptuning-v1', 'ptuning-v2']) expect(byId[id]!.reason).toMatch(/P-Tuning needs transformers 4\.42\+.*legacy environment has 4\.33/);
    for (const id of ['full-zero2', 'full-zero3', 'full-zero3-offload']) {
      expect(byId[id]!.verdict).toBe('unavailable');
      expect(byId[id]!.reason).toMatch(/DeepSpeed is not in ChatGLM-6B's legacy environment/);
      expect(byId[id]!.needs.join(' ')).not.toMatch(/install DeepSpeed/); // installing it would not help
    }
    // The legacy environment is done; converting the pickle weights is still to do.
    expect(byId.freeze!.needs).toEqual(['needs convert-weights: the weights are pickle files (.bin)']);
    expect(r.warnings.join(' ')).toMatch(/trains in its legacy environment with its own code/);
    expect(r.warnings.join(' ')).not.toMatch(/it is reported, never run/);

    // Several GPUs: no DeepSpeed there, so the one-GPU plans are ranked and the rest are unavailable.
    const multi = ready(gpuBudget(80, 2, { hostRamAvailableBytes: 64 * GiB }));
    expect(multi.best).toBe('freeze');
    expect(multi.rows.find((row) => row.planId === 'freeze')!.settings.gpus).toBe(1);
    expect(multi.rows.filter((row) => row.settings.gpus === 2).every((row) => row.verdict === 'unavailable')).toBe(true);
    expect(multi.warnings.join(' ')).toMatch(/2 GPUs, but ChatGLM-6B's legacy environment has no DeepSpeed/);

    // The flag means nothing for other models.
    expect(recommend({ model: SIX_B, budget: gpuBudget(80), seqLen: 1024, microBatch: 1, legacyChatglmReady: true }).rows.find((r2) => r2.planId === 'ptuning-v2')!.verdict).not.toBe('unavailable');
  });

  it('another custom model: trust_remote_code is what it needs', () => {
    const custom = modelFromConfig({ ...SIX_B_CONFIG }, { remoteCode: { AutoModelForCausalLM: 'modeling_custom.CustomLM' } });
    const r = run(gpuBudget(24), { model: custom });
    expect(r.rows.find((row) => row.planId === r.best)!.needs.join(' ')).toMatch(/trust_remote_code/);
  });
});

const SIX_B_CONFIG = {
  model_type: 'llama', hidden_size: 4096, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: 4, intermediate_size: 11008, vocab_size: 64000,
};

describe('recommend: presets and GPU choice', () => {
  it('says which bundled presets fit a 24 GB GPU', async () => {
    const presets = await loadPresets();
    const r = recommend({ model: SIX_B, budget: gpuBudget(24), seqLen: 1024, microBatch: 1, presets });
    const fit = Object.fromEntries(r.presets.map((p) => [p.id, p.verdict]));
    expect(fit).toMatchObject({ 'demo-cpu': 'fits', 'lora-24gb': 'fits', 'full-zero3-offload': 'unavailable', 'freeze-last-4': 'does-not-fit' });
    expect(r.presets.find((p) => p.id === 'full-zero3-offload')!.reason).toMatch(/needs 2 NVIDIA GPU\(s\), this machine offers 1/);
  });

  it('uses the chosen GPU subset and rejects unknown indices', () => {
    const gpu = (index: number, freeGiB: number) => ({
      key: `GPU-${index}`, index, uuid: `GPU-${index}`, busId: null, name: 'RTX', vendor: 'nvidia' as const, driverVersion: null, memoryTotalBytes: 24 * GiB,
      memoryUsedBytes: null, memoryFreeBytes: freeGiB * GiB, utilizationPct: null, temperatureC: null, powerDrawW: null, powerLimitW: null, migMode: null, unifiedMemory: false, source: 'nvidia-smi' as const,
    });
    const report = {
      gpus: [gpu(0, 2), gpu(1, 23)], sources: [], disagreements: [], generatedAt: 0,
      host: { cpu: null, memory: { totalBytes: 64 * GiB, availableBytes: 60 * GiB }, disk: null, os: null, problems: [] },
      trainer: { status: 'ok', detail: '', python: null, pythonVersion: null, torchVersion: null, torchCuda: '12.4', cudaAvailable: true, mpsAvailable: null, devices: [], engines: {}, packages: {} },
    } satisfies HardwareReport;
    const budget = budgetFromReport(report, [1]);
    expect(budget.gpuMemory).toEqual([{ name: 'RTX', bytes: 23 * GiB }]);
    expect(budget.deepspeed).toBe(false);
    expect(budgetFromReport(report).gpuMemory).toHaveLength(2);
    expect(() => budgetFromReport(report, [5])).toThrow(GpuSelectionError);
    expect(() => budgetFromReport(report, [5])).toThrow(/no NVIDIA GPU with index 5 \(this machine has: 0, 1\)/);
  });

  it('on Apple Silicon measures plans against a share of unified memory, without DeepSpeed', () => {
    const report = {
      gpus: [{
        key: 'apple:0', index: 0, uuid: null, busId: null, name: 'Apple M3 Max', vendor: 'apple' as const, driverVersion: null, memoryTotalBytes: null, memoryUsedBytes: null,
        memoryFreeBytes: null, utilizationPct: null, temperatureC: null, powerDrawW: null, powerLimitW: null, migMode: null, unifiedMemory: true, source: 'systeminformation' as const,
      }],
      sources: [], disagreements: [], generatedAt: 0,
      host: { cpu: null, memory: { totalBytes: 64 * GiB, availableBytes: 40 * GiB }, disk: null, os: null, problems: [] },
      trainer: { status: 'ok', detail: '', python: null, pythonVersion: null, torchVersion: '2.13.0', torchCuda: null, cudaAvailable: false, mpsAvailable: true, devices: [], engines: {}, packages: {} },
    } satisfies HardwareReport;
    const budget = budgetFromReport(report);
    expect(budget).toMatchObject({ device: 'mps', deepspeed: false, gpuMemory: [{ name: 'Apple M3 Max', bytes: 0.7 * 64 * GiB }] });
    const r = recommend({ model: SIX_B, budget, seqLen: 1024, microBatch: 1 });
    expect(r.device).toBe('mps');
    expect(r.best).toBe('freeze'); // about 25 GiB of the 44.8 GiB Metal lets one process use
    expect(r.rows.find((row) => row.planId === 'lora-r16')!.reason).toMatch(/of unified memory/);
    expect(budgetFromReport({ ...report, trainer: { ...report.trainer, mpsAvailable: false } }).device).toBe('cpu');
  });
});

describe('recommend: ChatGLM2/3 are estimated as TuneDesk trains them', () => {
  it('after import-chatglm: fused attention and the trainer\'s default LoRA targets, cheaper than the remote code', () => {
    const remote = modelFromConfig(CHATGLM2_6B_CONFIG);
    const glm2 = { ...remote, chatglmGeneration: 'chatglm2-6b' as const, needs: ['needs import-chatglm'] };
    const r = recommend({ model: glm2, budget: gpuBudget(24), seqLen: 4096, microBatch: 1 });
    expect(r.warnings.join(' ')).toMatch(/estimates are for the model after import-chatglm/);
    const lora = r.rows.find((row) => row.planId === 'lora-r16')!;
    expect(lora.method).toMatchObject({ targets: ['all-linear'] }); // what the trainer trains without --lora_module_name
    const asRemote = recommend({ model: remote, budget: gpuBudget(24), seqLen: 4096, microBatch: 1 }).rows.find((row) => row.planId === 'lora-r8-nockpt')!;
    expect(r.rows.find((row) => row.planId === 'lora-r8-nockpt')!.estimate.breakdown.activations).toBeLessThan(asRemote.estimate.breakdown.activations / 2);
  });
});

describe('recommend: GPUs torch sees but nvidia-smi does not report', () => {
  it('uses torch\'s devices (a container without nvidia-smi), and still checks chosen indices', () => {
    const report = {
      gpus: [], sources: [], disagreements: [], generatedAt: 0,
      host: { cpu: null, memory: { totalBytes: 64 * GiB, availableBytes: 60 * GiB }, disk: null, os: null, problems: [] },
      trainer: {
        status: 'ok', detail: '', python: null, pythonVersion: null, torchVersion: '2.13.0', torchCuda: '12.4', cudaAvailable: true, mpsAvailable: false,
        devices: [{ index: 0, name: 'NVIDIA L4', totalMemoryBytes: 22 * GiB }], engines: {}, packages: {},
      },
    } satisfies HardwareReport;
    expect(budgetFromReport(report)).toMatchObject({ device: 'cuda', gpuMemory: [{ name: 'NVIDIA L4', bytes: 22 * GiB }] });
    expect(() => budgetFromReport(report, [1])).toThrow(/no CUDA device with index 1 \(torch sees: 0\)/);
    const none = { ...report, trainer: { ...report.trainer, cudaAvailable: false, devices: [] } };
    expect(budgetFromReport(none).device).toBe('cpu');
    expect(() => budgetFromReport(none, [0])).toThrow(/this machine has no usable NVIDIA GPU/);
  });
});

describe('recommend: the trainer defaults it shows', () => {
  it('names bf16, packing, the chunked loss and checkpointing for the best plan, each with why', () => {
    const r = run(gpuBudget(24, 1, { hostRamAvailableBytes: 64 * GiB }));
    const byName = Object.fromEntries((r.trainerDefaults ?? []).map((d) => [d.setting, d]));
    expect(Object.keys(byName)).toEqual(['bf16', 'packing', 'chunked loss', 'gradient checkpointing']);
    expect(byName['gradient checkpointing']!.value).toBe(r.rows.find((row) => row.planId === r.best)!.settings.gradientCheckpointing ? 'on' : 'off');
    for (const d of r.trainerDefaults ?? []) expect(d.why.length).toBeGreaterThan(10);
  });

  it('on the CPU, packing says each sample attends on its own; on a GPU it does not', () => {
    const why = (r: ReturnType<typeof run>) => r.trainerDefaults!.find((d) => d.setting === 'packing')!.why;
    expect(why(run(CPU_ONLY))).toMatch(/each sample attending on its own/);
    expect(why(run(gpuBudget(24, 1, { hostRamAvailableBytes: 64 * GiB })))).not.toMatch(/attending on its own/);
  });

  it('a family the trainer cannot pack says so', () => {
    const r = run(CPU_ONLY, { model: modelFromConfig(CHATGLM_6B_CONFIG) });
    expect(r.trainerDefaults!.find((d) => d.setting === 'packing')!.value).toBe('off');
  });
});

describe('DeepSpeed rows on a machine without CUDA', () => {
  it('say why once: the reason, and nothing to install', () => {
    const r = recommend({ model: SIX_B, budget: CPU_ONLY, seqLen: 512, microBatch: 1 });
    const zero = r.rows.filter((row) => (row.settings.zeroStage ?? 0) > 0);
    expect(zero.length).toBeGreaterThan(0);
    for (const row of zero) {
      expect(row.verdict).toBe('unavailable');
      expect(row.reason).toBe('needs the DeepSpeed engine: DeepSpeed needs CUDA GPUs (this is CPU)');
      expect(row.needs).toEqual([]);
    }
  });
});
