// The bundled presets: every file validates, ids match file names, the required six exist, and
// each maps to a plan the estimator understands. The schema rejects what would break the wizard.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { presetConfigSchema, presetSchema } from '../../electron/shared/presets';
import { estimate } from '../../electron/services/estimator/estimate';
import { presetMethod, presetSettings, zeroFromDsFile } from '../../electron/services/recommend/preset-plans';
import { loadPresets, PresetError } from '../../electron/services/recommend/presets-store';
import { SIX_B } from '../helpers/recommend-fixtures';

const scratch = mkdtempSync(join(tmpdir(), 'tunedesk-presets-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('bundled presets', () => {
  it('has the six the product promises, all valid', async () => {
    const presets = await loadPresets();
    expect(presets.map((p) => p.id).sort()).toEqual(['demo-cpu', 'freeze-last-4', 'full-zero3-offload', 'lora-24gb', 'lora-small-gpu', 'ptuning-v2']);
    const demo = presets.find((p) => p.id === 'demo-cpu')!;
    expect(demo).toMatchObject({ title: 'Demo on CPU', model: 'demo', hardware: { device: 'cpu' } });
    // The settings the data engineer measured to learn the demo (resources/demo/README.md): full training, 300 steps.
    expect(demo.config).toMatchObject({ train_type: 'all', device: 'cpu', max_steps: 300, train_path: 'resources/demo/train.jsonl' });
  });

  it('maps each preset to a method and settings the estimator accepts', async () => {
    for (const preset of await loadPresets()) {
      const method = presetMethod(preset);
      const settings = presetSettings(preset, 4, 'bf16');
      const e = estimate(SIX_B, method, settings);
      expect(e.perGpuBytes, preset.id).toBeGreaterThan(0);
      if (preset.id === 'full-zero3-offload') expect(settings).toMatchObject({ zeroStage: 3, offloadOptimizer: true, offloadParams: true, gpus: 4 });
      if (preset.id === 'freeze-last-4') expect(method).toEqual({ kind: 'freeze', trainableLayers: 4 });
      if (preset.id === 'ptuning-v2') expect(method).toEqual({ kind: 'ptuning', version: 2, preSeqLen: 16, projection: true });
      if (preset.id === 'demo-cpu') expect(settings).toMatchObject({ dtype: 'fp32', gpus: 1, zeroStage: 0 });
    }
  });

  it('uses only flags the trainer knows (python-runtime/tunedesk/config.py TrainConfig fields)', async () => {
    const { readFileSync } = await import('node:fs');
    const source = readFileSync(join(__dirname, '../../python-runtime/tunedesk/config.py'), 'utf8');
    const fields = new Set([...source.matchAll(/^    ([a-z_]+): /gm)].map((m) => m[1]));
    expect(fields.has('train_type')).toBe(true);
    for (const key of presetConfigSchema.keyof().options) expect(fields.has(key), key).toBe(true);
  });

  it('names DeepSpeed configs that exist in resources/deepspeed', async () => {
    const { existsSync } = await import('node:fs');
    const withDs = (await loadPresets()).filter((p) => p.config.ds_file);
    expect(withDs.length).toBeGreaterThan(0);
    for (const preset of withDs) expect(existsSync(join(__dirname, '../..', preset.config.ds_file!)), preset.id).toBe(true);
  });

  it('reads ZeRO stage and offload from the DeepSpeed file name', () => {
    expect(zeroFromDsFile('resources/deepspeed/zero2.json')).toEqual({ zeroStage: 2, offloadOptimizer: false, offloadParams: false });
    expect(zeroFromDsFile('resources/deepspeed/zero3.json')).toEqual({ zeroStage: 3, offloadOptimizer: false, offloadParams: false });
    expect(zeroFromDsFile('resources/deepspeed/zero3_offload.json')).toEqual({ zeroStage: 3, offloadOptimizer: true, offloadParams: true });
    expect(zeroFromDsFile('resources/deepspeed/ds_zero2_no_offload.json')).toEqual({ zeroStage: 2, offloadOptimizer: false, offloadParams: false });
    expect(zeroFromDsFile('resources/deepspeed/ds_zero3_offload.json')).toEqual({ zeroStage: 3, offloadOptimizer: true, offloadParams: true });
    expect(zeroFromDsFile(undefined).zeroStage).toBe(0);
  });
});

describe('preset schema', () => {
  const valid = {
    id: 'x', title: 'X', description: 'd', audience: 'a', model: 'user',
    hardware: { device: 'gpu', minGpus: 1, gpuMemoryGiB: 24, maxModelParamsB: 7 },
    config: { train_type: 'lora', lora_dim: 8, learning_rate: 1e-4, max_len: 512, per_device_train_batch_size: 1, num_train_epochs: 1 },
  };
  it('accepts a minimal preset', () => {
    expect(presetSchema.safeParse(valid).success).toBe(true);
  });
  it.each([
    ['a misspelled flag', { config: { ...valid.config, lora_rank: 8 } }, /lora_rank/],
    ['LoRA without lora_dim', { config: { ...valid.config, lora_dim: undefined } }, /lora_dim/],
    ['a ds_file outside resources/deepspeed', { config: { ...valid.config, ds_file: '/etc/passwd' } }, /resources\/deepspeed/],
    ['DeepSpeed on a CPU preset', { hardware: { ...valid.hardware, device: 'cpu' }, config: { ...valid.config, ds_file: 'resources/deepspeed/ds_zero2_no_offload.json' } }, /CPU preset/],
    ['an unknown train_type', { config: { ...valid.config, train_type: 'qlora' } }, /train_type/],
  ])('rejects %s', (_name, change, message) => {
    const result = presetSchema.safeParse({ ...valid, ...change });
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error!.issues)).toMatch(message);
  });

  it('loadPresets names the file and the field that is wrong', async () => {
    writeFileSync(join(scratch, 'broken.json'), JSON.stringify({ ...valid, id: 'broken', config: { ...valid.config, learning_rate: -1 } }));
    writeFileSync(join(scratch, 'renamed.json'), JSON.stringify({ ...valid, id: 'other' }));
    await expect(loadPresets(scratch)).rejects.toThrow(PresetError);
    await expect(loadPresets(scratch)).rejects.toThrow(/broken\.json: config\.learning_rate: [\s\S]*renamed\.json: id "other" must match the file name/);
  });
});
