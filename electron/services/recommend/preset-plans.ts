// A preset's config (trainer flag names) -> the estimator's method and settings.
import type { MethodSpec, TrainSettings } from '../../shared/contract/estimator';
import type { Preset } from '../../shared/presets';
import { defaultLoraTargets } from '../estimator/plans';
import { booleanDefault, numberDefault, PTUNING_VERSIONS } from '../../shared/trainer-flags';

// Where a preset leaves a flag out, the trainer's default applies (resources/trainer-flags.json).
const trainerPtuningVersion = PTUNING_VERSIONS.find((v) => v === numberDefault('ptuning_version')) ?? PTUNING_VERSIONS[0];

/** ZeRO stage and offload from a DeepSpeed config file name (ds_zero3_offload.json, ...). */
export function zeroFromDsFile(dsFile: string | undefined): Pick<TrainSettings, 'zeroStage' | 'offloadOptimizer' | 'offloadParams'> {
  if (!dsFile) return { zeroStage: 0, offloadOptimizer: false, offloadParams: false };
  const name = dsFile.toLowerCase();
  const stage = name.includes('zero3') ? 3 : 2;
  const offload = name.includes('offload') && !name.includes('no_offload') && !name.includes('no-offload');
  return { zeroStage: stage, offloadOptimizer: offload, offloadParams: offload && stage === 3 };
}

export function presetMethod(preset: Preset): MethodSpec {
  const c = preset.config;
  switch (c.train_type) {
    case 'lora':
      return { kind: 'lora', rank: c.lora_dim ?? numberDefault('lora_dim'), targets: c.lora_module_name ? c.lora_module_name.split(',') : defaultLoraTargets() };
    case 'freeze':
      return { kind: 'freeze', trainableLayers: c.trainable_layers ?? 1 };
    case 'ptuning':
      return { kind: 'ptuning', version: c.ptuning_version ?? trainerPtuningVersion, preSeqLen: c.pre_seq_len ?? numberDefault('pre_seq_len'), projection: c.prefix_projection ?? booleanDefault('prefix_projection') };
    case 'all':
      return { kind: 'full' };
  }
}

export function presetSettings(preset: Preset, gpus: number, dtype: TrainSettings['dtype']): TrainSettings {
  const c = preset.config;
  const zero = zeroFromDsFile(c.ds_file);
  const count = preset.hardware.device === 'cpu' ? 1 : Math.max(1, zero.zeroStage > 0 ? gpus : 1);
  return {
    dtype: preset.hardware.device === 'cpu' ? 'fp32' : dtype,
    microBatch: c.per_device_train_batch_size,
    seqLen: c.max_len,
    gradientCheckpointing: c.gradient_checkpointing ?? false,
    gpus: count,
    ...zero,
  };
}
