// The training-time estimate of a run configuration, with what the pure estimator (time-estimate.ts)
// needs gathered: the data size, the model, the device the run will use, and the speed of earlier
// runs under the runs root. It never fails for want of any one of them: a missing piece narrows the
// basis, and the basis says so.
import type { z } from 'zod';
import type { HardwareReport } from '../../shared/contract/hardware';
import type { TimeEstimateResult, timeEstimateCalls } from '../../shared/contract/time-estimate';
import { inspectModel } from '../models/inspect-model';
import { bestPastRun, pastRuns } from './past-speed';
import { estimateTrainingTime, trainingSamples, type MeasuredSpeed } from './time-estimate';
import { computeModelOf, countSamples, num, setting, targetDevice, type Config } from './time-estimate-inputs';

export type TimeEstimateRequest = z.output<(typeof timeEstimateCalls)['estimator.time']['request']>;

/** Where the estimate looks: the runs root (earlier runs' speed) and the machine's report (null: unknown). */
export interface TimeEstimateHost {
  runsRoot: string;
  machine: () => Promise<HardwareReport | null>;
}

export async function timeEstimateFor(request: TimeEstimateRequest, host: TimeEstimateHost): Promise<TimeEstimateResult> {
  const config = request.config as Config;
  const [report, info, counted] = await Promise.all([
    host.machine(),
    inspectModel(request.config.model_name_or_path).catch(() => null),
    request.data ? Promise.resolve(request.data.samples) : countSamples(request.config.train_path),
  ]);
  const device = targetDevice(report, config, request.gpus);
  const devices = device.kind === 'gpu' ? device.count : 1;
  const evalSplit = config.eval_path ? 0 : num(config.eval_split);
  const plan = {
    samples: trainingSamples(counted ?? 0, evalSplit),
    microBatch: setting(config, 'per_device_train_batch_size'),
    accumulation: setting(config, 'gradient_accumulation_steps'),
    devices,
    epochs: setting(config, 'num_train_epochs'),
    maxSteps: num(config.max_steps),
  };
  const maxLen = setting(config, 'max_len');
  if (counted === null && !plan.maxSteps) {
    return {
      ...estimateTrainingTime({ plan: { ...plan, samples: 1 }, meanTokens: request.data?.meanTokens ?? null, maxLen }),
      seconds: null,
      lowSeconds: null,
      highSeconds: null,
      tokensPerSecond: null,
      basis: 'The number of samples is not known (the data file could not be counted), so neither is the number of steps.',
      source: 'unknown',
    };
  }
  const previousRun = bestPastRun(await pastRuns(host.runsRoot, report), {
    model: request.config.model_name_or_path,
    params: info?.params ?? null,
    method: String(config.train_type ?? 'lora'),
    device,
    config,
  });
  const preflight: MeasuredSpeed | null = request.measured
    ? { tokensPerSecond: request.measured.tokensPerSecond, secondsPerStep: request.measured.secondsPerStep, label: 'two steps of this configuration', sameSettings: true }
    : null;
  const unknownReason = !info
    ? 'The model folder could not be read, so its size is unknown'
    : device.kind === 'gpu'
      ? `TuneDesk has no speed figure for the ${device.name}`
      : `TuneDesk has no speed figure for ${device.name}`;
  return estimateTrainingTime({
    plan,
    meanTokens: request.data?.meanTokens ?? null,
    maxLen,
    previousRun,
    preflight,
    compute: info ? { model: computeModelOf(info, config, device.kind === 'gpu'), device } : null,
    unknownReason,
  });
}
