// The recommend call end to end: inspect the model, read the machine, load the presets, rank.
// Shared by the CLI (`tunedesk recommend`) and the API handler for 'recommend.plan'.
import type { HardwareReport } from '../../shared/contract/hardware';
import type { ModelInfo } from '../../shared/contract/models';
import type { Recommendation } from '../../shared/contract/recommend';
import { hardwareReport, type ReportOptions } from '../hardware/hardware-report';
import { inspectModel } from '../models/inspect-model';
import { legacyChatglmStatus } from '../legacy-chatglm/legacy-chatglm-env';
import { budgetFromReport } from './machine-budget';
import { bestGpuChoice, gpuOptions } from './gpu-choice';
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
/** ChatGLM-6B: its legacy environment exists and the user agreed to the current files; false when that cannot be read. */
export async function legacyChatglmReady(modelDir: string): Promise<boolean> {
  try {
    return (await legacyChatglmStatus(modelDir)).ready;
  } catch {
    return false;
  }
}

export interface RecommendOptions {
  report?: HardwareReport;
  reportOptions?: ReportOptions;
  /** Asked only for ChatGLM-6B (it runs legacy-env); legacyChatglmReady when omitted. */
  legacyReady?: (modelDir: string) => Promise<boolean>;
}

export async function recommendForModel(request: RecommendRequest, options: RecommendOptions = {}): Promise<RecommendOutcome> {
  const [model, report, presets] = await Promise.all([
    inspectModel(request.modelDir),
    options.report ? Promise.resolve(options.report) : hardwareReport(options.reportOptions),
    loadPresets(),
  ]);
  const legacyReady = model.chatglmGeneration === 'chatglm-6b' ? await (options.legacyReady ?? legacyChatglmReady)(request.modelDir) : false;
  const plan = (gpus: number[] | undefined) =>
    recommend({ model, budget: budgetFromReport(report, gpus), seqLen: request.maxLen, microBatch: request.microBatch, dtype: request.dtype, presets, legacyChatglmReady: legacyReady });
  const choices = gpuOptions(report);
  if (choices.length < 2) return { recommendation: plan(request.gpus), model, report };
  // Several GPUs: the user's choice, or by default the set whose best plan is the most capable.
  const picked = request.gpus?.length ? { gpus: request.gpus, recommendation: plan(request.gpus) } : bestGpuChoice(choices, plan);
  return { recommendation: { ...picked.recommendation, gpus: picked.gpus, gpuOptions: choices }, model, report };
}
