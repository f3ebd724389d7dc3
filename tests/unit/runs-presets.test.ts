import { isAbsolute, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../electron/services/python-env/trainer-python';
import { loadPresets } from '../../electron/services/recommend/presets-store';
import { DEMO_PRESET_ID, presetRunConfig } from '../../electron/services/runs/demo-setup';
import { resolveConfigPaths } from '../../electron/services/runs/run-config';

describe('presets as run configurations', () => {
  it('the demo preset gets absolute data paths and the demo model', async () => {
    const demo = (await loadPresets()).find((p) => p.id === DEMO_PRESET_ID)!;
    const config = presetRunConfig(demo, '/data/demo-model', { max_steps: 3 });
    expect(config.train_path).toBe(join(REPO_ROOT, 'resources', 'demo', 'train.jsonl'));
    expect(isAbsolute(config.eval_path as string)).toBe(true);
    expect(config).toMatchObject({ model_name_or_path: '/data/demo-model', max_steps: 3, train_type: demo.config.train_type });
  });

  it('a preset for your own model says what is missing', async () => {
    const lora = (await loadPresets()).find((p) => p.model === 'user' && p.config.train_type === 'lora')!;
    expect(() => presetRunConfig(lora, undefined)).toThrow(/needs a model: pass --model/);
    expect(() => presetRunConfig(lora, '/m')).toThrow(/needs training data: pass --data/);
    expect(presetRunConfig(lora, '/m', { train_path: '/d.jsonl' }).train_path).toBe('/d.jsonl');
  });

  it('leaves bare DeepSpeed names and missing paths for the trainer to resolve and report', () => {
    const out = resolveConfigPaths({ ds_file: 'ds_zero2_no_offload.json', train_path: 'nope.jsonl', eval_path: 'resources/demo/eval.jsonl', learning_rate: 1 }, REPO_ROOT);
    expect(out).toEqual({ ds_file: 'ds_zero2_no_offload.json', train_path: 'nope.jsonl', eval_path: join(REPO_ROOT, 'resources/demo/eval.jsonl'), learning_rate: 1 });
  });
});
