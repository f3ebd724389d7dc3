// The recommend call end to end: inspect the model, read the machine, load the presets, rank.
// Shared by the CLI (`tunedesk recommend`) and the API handler for 'recommend.plan'.
import type { HardwareReport } from '../../shared/contract/hardware';
import type { ModelInfo } from '../../shared/contract/models';
import type { Recommendation } from '../../shared/contract/recommend';
import { hardwareReport, type ReportOptions } from '../hardware/hardware-report';
import { inspectModel } from '../models/inspect-model';
import { budgetFromReport } from './machine-budget';
import { loadPresets } from './presets-store';
import { recommend } from './recommend';

export interface RecommendRequest {
  modelDir: string;
  maxLen: number;
  microBatch: number;
  /** nvidia-smi indices; all GPUs when omitted. */
  gpus?: number[];
  dtype?: 'fp16' | 'bf16' | 'fp32';
}

export interface RecommendOutcome {
  recommendation: Recommendation;
  model: ModelInfo;
  report: HardwareReport;
}

/**
 * Throws ModelDirError (bad model directory), GpuSelectionError (unknown GPU index) or
 * PresetError (a broken preset file), each with a message that says what to fix.
 */
export async function recommendForModel(request: RecommendRequest, options: { report?: HardwareReport; reportOptions?: ReportOptions } = {}): Promise<RecommendOutcome> {
  const [model, report, presets] = await Promise.all([
    inspectModel(request.modelDir),
    options.report ? Promise.resolve(options.report) : hardwareReport(options.reportOptions),
    loadPresets(),
  ]);
  const budget = budgetFromReport(report, request.gpus);
  const recommendation = recommend({ model, budget, seqLen: request.maxLen, microBatch: request.microBatch, dtype: request.dtype, presets });
  return { recommendation, model, report };
}
