// What the time estimate reads from a run configuration and the machine: the trainer's defaults
// for flags left out, the data size, the method as the estimator names it, the compute model and
// the device the run will train on. Pure reads; a piece that cannot be read is null, never an error.
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import type { HardwareReport } from '../../shared/contract/hardware';
import type { ModelInfo } from '../../shared/contract/models';
import type { MethodSpec } from '../../shared/contract/estimator';
import { numberDefault } from '../../shared/trainer-flags';
import { gpusButCpuTorch } from '../hardware/cpu-torch';
import { defaultLoraTargets } from './plans';
import { zeroFromDsFile } from '../recommend/preset-plans';
import { paramCounts } from './trainable-params';
import type { ComputeModel, DeviceTarget, TrainMethod } from './time-estimate';

export type Config = Record<string, unknown>;

export const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
// The trainer's default (resources/trainer-flags.json) where the configuration leaves a flag out.
type CountSetting = 'max_len' | 'per_device_train_batch_size' | 'gradient_accumulation_steps' | 'num_train_epochs';
export const setting = (config: Config, key: CountSetting) => num(config[key]) ?? numberDefault(key);

/** Samples in a data file: non-empty lines of JSON lines, or the length of a JSON array. */
export async function countSamples(file: string): Promise<number | null> {
  try {
    if (file.endsWith('.json')) {
      if ((await stat(file)).size > 512 * 1024 * 1024) return null;
      const parsed: unknown = JSON.parse(await readFile(file, 'utf8'));
      return Array.isArray(parsed) ? parsed.length : null;
    }
    let count = 0;
    const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
    for await (const line of lines) if (line.trim() !== '') count++;
    return count;
  } catch {
    return null;
  }
}

/** The method as the estimator names it, with the knobs that set its trainable parameters. */
export function methodSpecOf(config: Config): MethodSpec {
  switch (config.train_type) {
    case 'all':
      return { kind: 'full' };
    case 'freeze':
      return { kind: 'freeze', trainableLayers: num(config.trainable_layers) ?? 1 };
    case 'ptuning':
      return {
        kind: 'ptuning',
        version: config.ptuning_version === 1 ? 1 : 2,
        preSeqLen: num(config.pre_seq_len) ?? numberDefault('pre_seq_len'),
        projection: config.prefix_projection !== false,
      };
    default:
      return {
        kind: 'lora',
        rank: num(config.lora_dim) ?? numberDefault('lora_dim'),
        targets: typeof config.lora_module_name === 'string' && config.lora_module_name ? config.lora_module_name.split(',') : defaultLoraTargets(),
      };
  }
}

const METHOD: Record<MethodSpec['kind'], TrainMethod> = { full: 'full', lora: 'lora', freeze: 'freeze', ptuning: 'ptuning' };

export function computeModelOf(info: ModelInfo, config: Config, onGpu: boolean): ComputeModel {
  const spec = methodSpecOf(config);
  const counts = paramCounts(info.arch, info.params, spec, info.arch.attention === 'eager-fp32-softmax');
  const zero = zeroFromDsFile(typeof config.ds_file === 'string' ? config.ds_file : undefined);
  return {
    totalParams: info.params + counts.added,
    trainableParams: counts.trainable,
    layers: info.arch.layers,
    hidden: info.arch.hidden,
    method: METHOD[spec.kind],
    gradientCheckpointing: config.gradient_checkpointing === true,
    dtype: config.bf16 === true ? 'bf16' : config.fp16 === true ? 'fp16' : 'fp32',
    // ZeRO offload is DeepSpeed's, and DeepSpeed runs on CUDA GPUs only.
    offload: onGpu && zero.offloadOptimizer,
  };
}

/** The device the run will train on: the chosen GPUs, else GPU 0 (the torch engine), else the CPU. */
export function targetDevice(report: HardwareReport | null, config: Config, gpus: number[] | undefined): DeviceTarget {
  const cores = report?.host.cpu?.physicalCores ?? null;
  const cpu: DeviceTarget = { kind: 'cpu', name: report?.host.cpu?.brand ?? 'CPU', count: 1, cpuCores: cores, loadAverage: loadavg()[0] ?? null };
  if (config.device === 'cpu') return cpu;
  if (config.device === 'mps') return { kind: 'other', name: 'Apple GPU (mps)', count: 1 };
  const nvidia = (report?.gpus ?? []).filter((g) => g.vendor === 'nvidia');
  // A CPU build of torch trains on the CPU whatever nvidia-smi shows: time it as the CPU.
  if (report?.trainer && gpusButCpuTorch(report.gpus, report.trainer)) return cpu;
  if (nvidia.length === 0) {
    const apple = report?.gpus.find((g) => g.vendor === 'apple');
    return apple ? { kind: 'other', name: apple.name, count: 1 } : cpu;
  }
  const chosen = gpus && gpus.length > 0 ? gpus : [nvidia[0]!.index ?? 0];
  const first = nvidia.find((g) => g.index === chosen[0]) ?? nvidia[0]!;
  return { kind: 'gpu', name: first.name, count: chosen.length };
}
