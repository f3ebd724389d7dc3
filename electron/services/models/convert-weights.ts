// The app's one-click `python -m tunedesk convert-weights <dir> --json`: a safetensors copy of a
// model's pickle weights, written beside them by the trainer (tensors only; nothing in the files
// runs). Only for folders that inspection says need it, so the call cannot write elsewhere; one
// conversion per folder at a time; failures come back as the trainer's message and what to do.
import type { ConvertWeightsResult } from '../../shared/contract/models';
import { runTrainerPython, type TrainerRunOptions, type TrainerRunResult } from '../python-env/trainer-python';
import { CONVERT_WEIGHTS_NEED, inspectModel, ModelDirError } from './inspect-model';

/** Reading and writing tens of GB (a 6B model in fp32 pickles: ~25 GB) on a slow disk. */
export const CONVERT_TIMEOUT_MS = 60 * 60_000;

export type ConvertWeightsErrorReason = 'not-needed' | 'busy' | 'config' | 'dependency' | 'trainer';

/** Why a conversion was refused or failed: what happened and what to do. */
export class ConvertWeightsError extends Error {
  constructor(
    readonly reason: ConvertWeightsErrorReason,
    message: string,
    readonly hint: string,
  ) {
    super(message);
    this.name = 'ConvertWeightsError';
  }
}

export interface ConvertWeightsOptions {
  /** The trainer's interpreter; the default venv's when omitted. */
  python?: string;
  /** Runs `python -m tunedesk <args>` (tests record or replace it here). */
  run?: (args: string[], options: TrainerRunOptions) => Promise<TrainerRunResult>;
}

interface ConvertReport {
  ok: boolean;
  model_dir?: string;
  converted?: boolean;
  sources?: string[];
  shards?: string[];
  tensors?: number;
  bytes?: number;
  note?: string;
  error?: { kind: string; message: string; hint: string };
}

function parseReport(stdout: string): ConvertReport | null {
  const last = stdout.trim().split('\n').at(-1) ?? '';
  try {
    const report = JSON.parse(last) as unknown;
    return report && typeof report === 'object' && 'ok' in report ? (report as ConvertReport) : null;
  } catch {
    return null;
  }
}

/** The trainer's answer as the contract's result, or its classified error (never a traceback). */
export function resultFrom(result: TrainerRunResult, timeoutMs = CONVERT_TIMEOUT_MS): ConvertWeightsResult {
  if (result.startError) {
    throw new ConvertWeightsError('trainer', `Could not start the trainer's Python to convert the weights (${result.startError}).`, 'Set up the trainer environment (npm run setup:python), then try again.');
  }
  if (result.timedOut) {
    throw new ConvertWeightsError(
      'trainer',
      `Stopped: writing the safetensors copy took longer than ${Math.round(timeoutMs / 60_000)} minutes.`,
      'Nothing half-written is kept: the next try cleans up and starts over. Check that the disk is not nearly full or very slow, then try again.',
    );
  }
  const report = parseReport(result.stdout);
  if (report && !report.ok && report.error) {
    throw new ConvertWeightsError(report.error.kind === 'dependency' ? 'dependency' : 'config', report.error.message, report.error.hint);
  }
  if (!report?.ok || typeof report.model_dir !== 'string') {
    // Not the JSON convert-weights prints: the last line of stderr, not the whole traceback.
    const last = result.stderr.trim().split('\n').at(-1) || `exit status ${result.exitCode}`;
    throw new ConvertWeightsError('trainer', `Could not convert the weights: the trainer answered unexpectedly (${last}).`, 'Set up the trainer environment again (npm run setup:python).');
  }
  return {
    modelDir: report.model_dir,
    converted: report.converted === true,
    sources: report.sources ?? [],
    shards: report.shards ?? [],
    tensors: report.tensors ?? 0,
    bytes: report.bytes ?? 0,
    note: report.note ?? '',
  };
}

/** Refuses a folder that inspection does not flag: this call writes only where a copy is needed. */
async function ensureNeeded(modelDir: string): Promise<void> {
  let needs: string[];
  try {
    needs = (await inspectModel(modelDir)).needs;
  } catch (error) {
    if (error instanceof ModelDirError) {
      throw new ConvertWeightsError('not-needed', error.message, 'Choose the folder of a Hugging Face model (it holds config.json and the weights).');
    }
    throw error;
  }
  if (!needs.some((n) => n.startsWith(CONVERT_WEIGHTS_NEED))) {
    throw new ConvertWeightsError(
      'not-needed',
      `${modelDir} needs no conversion: it already has safetensors weights, has no pickle weights, or is a ChatGLM2/3 checkpoint that import-chatglm reads directly.`,
      'Nothing to do: TuneDesk can use this folder as it is (or as its other needs say).',
    );
  }
}

// The folders being converted now: a second conversion of the same folder would race the first.
const converting = new Set<string>();

/**
 * Writes a safetensors copy of `modelDir`'s pickle weights beside them, when inspection says the
 * folder needs it. `modelDir` has been checked by the path guard (real, allowed path).
 */
export async function convertWeights(modelDir: string, options: ConvertWeightsOptions = {}): Promise<ConvertWeightsResult> {
  if (converting.has(modelDir)) {
    throw new ConvertWeightsError('busy', `The weights of ${modelDir} are being converted already.`, 'Wait until that finishes; the model is then read again.');
  }
  converting.add(modelDir);
  try {
    await ensureNeeded(modelDir);
    const run = options.run ?? runTrainerPython;
    const result = await run(['convert-weights', modelDir, '--json'], {
      timeoutMs: CONVERT_TIMEOUT_MS,
      ...(options.python ? { python: options.python } : {}),
    });
    return resultFrom(result);
  } finally {
    converting.delete(modelDir);
  }
}
