// The wizard's form logic: validation (all problems at once), input parsing, the CLI command and
// the plain-words summary.
import { describe, expect, it } from 'vitest';
import {
  SETTINGS,
  cliCommand,
  describeDraft,
  parseSettingInput,
  validateDraft,
  visibleSettings,
  type RunConfigDraft,
} from '../../renderer/src/shared-state/train-settings';
import { stepBlocker } from '../../renderer/src/screens/wizard/wizard-store';
import { CHATGLM_6B_CONFIG } from '../helpers/estimator-calibration-rows';
import { modelFromConfig, SIX_B } from '../helpers/recommend-fixtures';

const good: RunConfigDraft = {
  model_name_or_path: '/models/demo',
  train_path: '/data/train.jsonl',
  train_type: 'lora',
  learning_rate: 0.001,
  max_len: 128,
  max_src_len: 64,
  per_device_train_batch_size: 4,
  num_train_epochs: 2,
  lora_dim: 8,
};

describe('validateDraft', () => {
  it('accepts a complete draft', () => {
    expect(validateDraft(good)).toEqual({});
  });
  it('reports every problem at once', () => {
    const errors = validateDraft({ train_type: 'lora', learning_rate: -1, max_len: 12.5, lora_dim: 0 });
    expect(Object.keys(errors).sort()).toEqual(['learning_rate', 'lora_dim', 'max_len', 'model_name_or_path', 'train_path']);
    expect(errors.max_len).toMatch(/whole number/);
    expect(errors.lora_dim).toMatch(/at least 1/);
  });
  it('checks cross-field rules', () => {
    expect(validateDraft({ ...good, max_src_len: 200 }).max_src_len).toMatch(/shorter than max length/);
    expect(validateDraft({ ...good, bf16: true, fp16: true }).fp16).toMatch(/not both/);
  });
  it('ignores settings of other methods and rejects unknown methods', () => {
    expect(validateDraft({ ...good, pre_seq_len: -5 })).toEqual({});
    expect(validateDraft({ ...good, train_type: 'magic' }).train_type).toBeDefined();
  });
  it('rejects NaN typed into a number field', () => {
    const spec = SETTINGS.find((s) => s.key === 'learning_rate')!;
    expect(validateDraft({ ...good, learning_rate: parseSettingInput(spec, 'abc') }).learning_rate).toMatch(/number/);
  });
});

describe('visibleSettings', () => {
  it('newcomers see the basic settings of their method only', () => {
    const keys = visibleSettings('lora', false).map((s) => s.key);
    expect(keys).toContain('lora_dim');
    expect(keys).not.toContain('weight_decay');
    expect(keys).not.toContain('pre_seq_len');
  });
  it('experts see every setting of their method', () => {
    const keys = visibleSettings('ptuning', true).map((s) => s.key);
    expect(keys).toEqual(expect.arrayContaining(['weight_decay', 'pre_seq_len', 'prefix_projection', 'ptuning_version']));
    expect(keys).not.toContain('lora_dim');
  });
});

describe('cliCommand and describeDraft', () => {
  it('uses the original flags, quotes paths with spaces, skips empty and other-method settings', () => {
    const cmd = cliCommand({ ...good, train_path: '/my data/a b.jsonl', pre_seq_len: 16, max_steps: null, gradient_checkpointing: true });
    expect(cmd.startsWith('python -m tunedesk train')).toBe(true);
    expect(cmd).toContain("--train_path '/my data/a b.jsonl'");
    expect(cmd).toContain('--train_type lora');
    expect(cmd).toContain('--lora_dim 8');
    expect(cmd).toContain('--gradient_checkpointing true');
    expect(cmd).not.toContain('pre_seq_len');
    expect(cmd).not.toContain('max_steps');
  });
  it('says the plan in plain words', () => {
    const lines = describeDraft({ ...good, gradient_accumulation_steps: 2 });
    expect(lines[0]).toMatch(/LoRA.*rank 8/);
    expect(lines).toContain('8 samples per optimizer step (4 × 2 accumulation).');
    expect(lines).toContain('2 passes over the data.');
    const single = describeDraft({ ...good, num_train_epochs: 1, per_device_train_batch_size: 1, gradient_accumulation_steps: 1 });
    expect(single).toContain('1 pass over the data.');
    expect(single).toContain('1 sample per optimizer step (1 × 1 accumulation).');
  });
});

describe('stepBlocker: the model step waits for what the trainer would refuse', () => {
  const base = { draft: { model_name_or_path: '/models/m' }, dataOk: false, legacyReady: null };
  it('lets a plain model through', () => {
    expect(stepBlocker('model', { ...base, model: SIX_B })).toBeNull();
  });
  it('holds pickle-only weights and unconverted ChatGLM2/3 until they are converted', () => {
    expect(stepBlocker('model', { ...base, model: { ...SIX_B, needs: ['needs convert-weights: ...'] } })).toMatch(/safetensors copy/);
    expect(stepBlocker('model', { ...base, model: { ...SIX_B, needs: ['needs import-chatglm: ...'] } })).toMatch(/import-chatglm/);
  });
  it('holds ChatGLM-6B until its environment and the consent exist', () => {
    const glm1 = { ...modelFromConfig(CHATGLM_6B_CONFIG), chatglmGeneration: 'chatglm-6b' as const };
    expect(stepBlocker('model', { ...base, model: glm1 })).toMatch(/Agree to run/);
    expect(stepBlocker('model', { ...base, model: glm1, legacyReady: false })).toMatch(/Agree to run/);
    expect(stepBlocker('model', { ...base, model: glm1, legacyReady: true })).toBeNull();
  });
});
