// The TypeScript side agrees with the trainer's own description of its flags
// (resources/trainer-flags.json, from `python -m tunedesk train --schema`): every flag name, default
// and choice it uses exists there with the same value, and a run of one method carries no flag of
// another. The JSON is read here directly, not through trainer-flags.ts, so a wrong derivation fails.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { runConfigRequestSchema } from '../../electron/shared/contract/runs';
import { presetConfigSchema } from '../../electron/shared/presets';
import { forMethod, TRAIN_METHODS } from '../../electron/shared/trainer-flags';
import { methodSpecOf } from '../../electron/services/estimator/time-estimate-inputs';
import { presetMethod } from '../../electron/services/recommend/preset-plans';
import { loadPresets } from '../../electron/services/recommend/presets-store';
import { runJsonConfig } from '../../electron/services/runs/run-config';
import { toRunConfig } from '../../renderer/src/screens/wizard/ReviewStep';
import { cliCommand, DEFAULT_MAX_SRC_LEN, derivedMaxSrcLen, describeDraft, METHODS, SETTINGS } from '../../renderer/src/shared-state/train-settings';
import { DEFAULT_DRAFT, useWizardStore } from '../../renderer/src/screens/wizard/wizard-store';

interface Flag {
  name: string;
  type: 'int' | 'float' | 'bool' | 'str';
  nullable: boolean;
  default: string | number | boolean | null;
  choices: (string | number)[] | null;
  methods: string[];
}
const json = JSON.parse(readFileSync(join(import.meta.dirname, '../../resources/trainer-flags.json'), 'utf8')) as { methods: string[]; flags: Flag[] };
const flags = new Map(json.flags.map((f) => [f.name, f]));
const flag = (name: string): Flag => {
  const found = flags.get(name);
  if (!found) throw new Error(`the TypeScript side uses --${name}, which resources/trainer-flags.json does not list`);
  return found;
};
const onlyFor = (method: string) => json.flags.filter((f) => f.methods.length < json.methods.length && !f.methods.includes(method)).map((f) => f.name);
const wrongValue = { int: 'x', float: 'x', bool: 1, str: 5 } as const;

describe('resources/trainer-flags.json', () => {
  it('has the shape trainer-flags.ts reads (it does not validate it at runtime)', () => {
    const jsType = { int: 'number', float: 'number', bool: 'boolean', str: 'string' } as const;
    expect(json.flags.length).toBeGreaterThan(30);
    for (const f of json.flags) {
      expect(Object.keys(jsType), f.name).toContain(f.type);
      if (f.default === null) expect(f.nullable, `${f.name}: a null default on a flag that is not nullable`).toBe(true);
      else expect(typeof f.default, f.name).toBe(jsType[f.type]);
      for (const c of f.choices ?? []) expect(typeof c, f.name).toBe(jsType[f.type]);
      expect(f.methods.length, f.name).toBeGreaterThan(0);
      for (const m of f.methods) expect(json.methods, f.name).toContain(m);
    }
  });
});

describe('the contract schemas use the trainer flags as the trainer types them', () => {
  const shapes: Record<string, Record<string, z.ZodType>> = { preset: presetConfigSchema.shape, 'runs.start': runConfigRequestSchema.shape };
  for (const [which, shape] of Object.entries(shapes)) {
    it(`${which}: every key is a flag, takes its type and refuses another`, () => {
      for (const [key, schema] of Object.entries(shape)) {
        const f = flag(key);
        expect(schema.safeParse(wrongValue[f.type]).success, `${key} accepts a ${typeof wrongValue[f.type]}`).toBe(false);
        if (f.type === 'int') expect(schema.safeParse(1.5).success, `${key} accepts a fraction`).toBe(false);
        const usable = f.default !== null && f.default !== '' && !/_path$|^ds_file$/.test(key);
        if (usable) expect(schema.safeParse(f.default).success, `${key} refuses the trainer's default ${String(f.default)}`).toBe(true);
      }
    });
  }
  it('offers exactly the trainer’s choices', () => {
    const shape = presetConfigSchema.shape;
    for (const key of ['train_type', 'device', 'ptuning_version'] as const) {
      const choices = flag(key).choices!;
      for (const value of choices) expect(shape[key].safeParse(value).success, `${key} = ${value}`).toBe(true);
      expect(shape[key].safeParse(typeof choices[0] === 'number' ? 99 : 'nonsense').success).toBe(false);
    }
    expect([...TRAIN_METHODS].sort()).toEqual([...flag('train_type').choices!].sort());
    expect(METHODS).toBe(TRAIN_METHODS);
  });
});

describe('the wizard settings', () => {
  it('are trainer flags with the trainer’s type, choices and methods', () => {
    for (const spec of SETTINGS) {
      const f = flag(spec.key);
      const kind = spec.type === 'choice' ? (f.choices ? f.type : 'no choices') : spec.type === 'text' ? 'str' : spec.type;
      expect(kind, spec.key).toBe(f.type);
      if (spec.choices) expect(spec.choices.filter((c) => c !== '').sort(), spec.key).toEqual(f.choices!.map(String).sort());
      expect(spec.choices?.includes('') ?? false, `${spec.key}: an empty choice only for a flag that may be omitted`).toBe(Boolean(spec.choices) && f.nullable);
      expect(spec.methods ?? json.methods, spec.key).toEqual(f.methods);
    }
  });
  it('use the trainer’s defaults where the wizard does not choose its own', () => {
    // The wizard's deliberate first-run values (a workstation, not the original scripts' GPU cluster).
    const wizardsOwn = ['learning_rate', 'max_len', 'max_src_len', 'per_device_train_batch_size', 'gradient_checkpointing'];
    for (const [key, value] of Object.entries(DEFAULT_DRAFT)) {
      flag(key);
      if (!wizardsOwn.includes(key)) expect(value, key).toBe(flag(key).default);
    }
    expect(DEFAULT_MAX_SRC_LEN).toBe(flag('max_src_len').default);
    expect(derivedMaxSrcLen(null)).toBe(Math.min(flag('max_src_len').default as number, (flag('max_len').default as number) / 2));
    const ptuning = describeDraft({ train_type: 'ptuning' })[0];
    expect(ptuning).toContain(`P-Tuning v${String(flag('ptuning_version').default)}: ${String(flag('pre_seq_len').default)} trainable prefix tokens`);
  });
});

describe('the estimator and presets fall back to the trainer’s defaults', () => {
  it('for the method knobs a configuration leaves out', async () => {
    expect(methodSpecOf({ train_type: 'lora' })).toMatchObject({ kind: 'lora', rank: flag('lora_dim').default });
    expect(methodSpecOf({ train_type: 'ptuning' })).toMatchObject({ preSeqLen: flag('pre_seq_len').default, version: flag('ptuning_version').default });
    const lora = (await loadPresets()).find((p) => p.config.train_type === 'lora')!;
    const { lora_dim: _rank, ...noRank } = lora.config;
    expect(presetMethod({ ...lora, config: noRank })).toMatchObject({ rank: flag('lora_dim').default });
    const ptuning = (await loadPresets()).find((p) => p.config.train_type === 'ptuning')!;
    const bare = { train_type: 'ptuning' as const, learning_rate: 1, max_len: 64, per_device_train_batch_size: 1, num_train_epochs: 1 };
    expect(presetMethod({ ...ptuning, config: bare })).toEqual({
      kind: 'ptuning',
      version: flag('ptuning_version').default,
      preSeqLen: flag('pre_seq_len').default,
      projection: flag('prefix_projection').default,
    });
  });
});

describe('a run carries only its own method’s flags', () => {
  const everything = { train_path: '/d.jsonl', model_name_or_path: '/m', lora_dim: 4, lora_alpha: 8, trainable_layers: 2, freeze_module_name: 'layers.1.', pre_seq_len: 8, ptuning_version: 1, learning_rate: 0.1 };
  it('has method-only flags to leave out (the trainer marks them)', () => {
    expect(onlyFor('lora')).toEqual(expect.arrayContaining(['trainable_layers', 'freeze_module_name', 'pre_seq_len']));
    expect(onlyFor('freeze')).toEqual(expect.arrayContaining(['lora_dim', 'lora_alpha', 'pre_seq_len']));
  });
  for (const method of json.methods) {
    it(`run.json of a ${method} run (what the trainer is started with)`, () => {
      const runJson = runJsonConfig({ ...everything, train_type: method, local_rank: 0 }, '/runs/r1', '/');
      for (const name of onlyFor(method)) expect(runJson, `${name} in a ${method} run`).not.toHaveProperty(name);
      for (const name of Object.keys(everything)) if (!onlyFor(method).includes(name)) expect(runJson).toHaveProperty(name);
      expect(runJson).toMatchObject({ train_type: method, output_dir: '/runs/r1', learning_rate: 0.1 });
      expect(runJson).not.toHaveProperty('local_rank');
    });
  }
  it('the wizard: a Freeze preset, then a LoRA one, sends no Freeze setting (and the CLI line shows none)', async () => {
    const presets = await loadPresets();
    const freeze = presets.find((p) => p.id === 'freeze-last-4')!;
    const lora = presets.find((p) => p.id === 'lora-24gb')!;
    const store = useWizardStore.getState();
    store.reset();
    store.setModel('/models/m', null);
    store.applyPreset(freeze.id, freeze.config);
    expect(toRunConfig(useWizardStore.getState().draft)).toMatchObject({ train_type: 'freeze', trainable_layers: 4 });
    store.applyPreset(lora.id, lora.config);
    const draft = useWizardStore.getState().draft;
    expect(draft.trainable_layers).toBe(4); // still in the draft (switching back keeps it) ...
    const sent = toRunConfig(draft);
    for (const name of onlyFor('lora')) expect(sent, name).not.toHaveProperty(name); // ... but never sent
    expect(sent).toMatchObject({ train_type: 'lora', lora_dim: 16 });
    expect(cliCommand(draft)).not.toMatch(/--trainable_layers|--freeze_module_name/);
    store.reset();
  });
  it('keeps everything when the method is unknown, so the trainer names it', () => {
    expect(forMethod({ train_type: 'magic', lora_dim: 4, trainable_layers: 2 })).toEqual({ train_type: 'magic', lora_dim: 4, trainable_layers: 2 });
  });
});
