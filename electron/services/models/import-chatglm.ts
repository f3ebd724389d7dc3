// The app's one-click `python -m tunedesk import-chatglm <dir> --out <new dir> --json`: a ChatGLM2/3
// checkpoint (a Hub download, or a folder the user picked) becomes a native transformers glm model
// in <data dir>/models/<name>-glm, without running the checkpoint's own code. Only for folders that
// inspection says need it; one import per folder at a time; an existing import is reused.
import { basename, join } from 'node:path';
import { runTrainerPython, type TrainerRunOptions, type TrainerRunResult } from '../python-env/trainer-python';
import { inspectModel, ModelDirError } from './inspect-model';

/** Reading and writing a 6B model (12-25 GB) on a slow disk. */
export const IMPORT_TIMEOUT_MS = 60 * 60_000;
export const IMPORT_CHATGLM_NEED = 'needs import-chatglm';

export type ImportChatglmErrorReason = 'not-needed' | 'busy' | 'config' | 'trainer';

export class ImportChatglmError extends Error {
  constructor(
    readonly reason: ImportChatglmErrorReason,
    message: string,
    readonly hint: string,
  ) {
    super(message);
    this.name = 'ImportChatglmError';
  }
}

export interface ImportChatglmResult {
  /** The native model folder to train. */
  outDir: string;
  /** True when an earlier import was found and reused. */
  reused: boolean;
  model: string;
  parameters: number;
  notes: string[];
}

export interface ImportChatglmOptions {
  python?: string;
  run?: (args: string[], options: TrainerRunOptions) => Promise<TrainerRunResult>;
}

/** Where the native copy of `modelDir` goes: beside the downloads, in the data folder. */
export const importTarget = (dataDir: string, modelDir: string) => join(dataDir, 'models', `${basename(modelDir)}-glm`);

async function existingImport(outDir: string): Promise<boolean> {
  try {
    return (await inspectModel(outDir)).modelType === 'glm';
  } catch {
    return false;
  }
}

function parse(stdout: string): { ok?: boolean; summary?: Record<string, unknown>; error?: { kind: string; message: string; hint: string } } | null {
  try {
    return JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as ReturnType<typeof parse>;
  } catch {
    return null;
  }
}

export function resultFrom(result: TrainerRunResult, outDir: string): ImportChatglmResult {
  if (result.startError) throw new ImportChatglmError('trainer', `Could not start the trainer's Python (${result.startError}).`, 'Set up the trainer environment (npm run setup:python), then try again.');
  if (result.timedOut) throw new ImportChatglmError('trainer', 'Stopped: the import took longer than an hour.', 'Nothing half-written is kept. Check the disk is not full or very slow, then try again.');
  const report = parse(result.stdout);
  if (report?.ok === false && report.error) throw new ImportChatglmError('config', report.error.message, report.error.hint);
  if (!report?.ok || !report.summary) {
    const last = result.stderr.trim().split('\n').at(-1) || `exit status ${result.exitCode}`;
    throw new ImportChatglmError('trainer', `Could not import the checkpoint: the trainer answered unexpectedly (${last}).`, 'Set up the trainer environment again (npm run setup:python).');
  }
  const s = report.summary;
  return { outDir, reused: false, model: String(s.model ?? ''), parameters: Number(s.parameters ?? 0), notes: Array.isArray(s.notes) ? s.notes.map(String) : [] };
}

const importing = new Set<string>();

/** `modelDir` has been checked by the path guard (real, allowed path). */
export async function importChatglm(modelDir: string, dataDir: string, options: ImportChatglmOptions = {}): Promise<ImportChatglmResult> {
  if (importing.has(modelDir)) throw new ImportChatglmError('busy', `${modelDir} is being imported already.`, 'Wait until it finishes; the native model is then chosen.');
  importing.add(modelDir);
  try {
    let needs: string[];
    try {
      needs = (await inspectModel(modelDir)).needs;
    } catch (error) {
      if (error instanceof ModelDirError) throw new ImportChatglmError('not-needed', error.message, 'Choose the folder of a ChatGLM2-6B or ChatGLM3-6B checkpoint.');
      throw error;
    }
    if (!needs.some((n) => n.startsWith(IMPORT_CHATGLM_NEED))) {
      throw new ImportChatglmError('not-needed', `${modelDir} is not a ChatGLM2/3 checkpoint that needs import-chatglm.`, 'Nothing to do: use the folder as it is.');
    }
    const outDir = importTarget(dataDir, modelDir);
    if (await existingImport(outDir)) return { outDir, reused: true, model: '', parameters: 0, notes: [`${outDir} already holds the imported model; it is used as it is.`] };
    const run = options.run ?? runTrainerPython;
    const result = await run(['import-chatglm', modelDir, '--out', outDir, '--json'], { timeoutMs: IMPORT_TIMEOUT_MS, ...(options.python ? { python: options.python } : {}) });
    return resultFrom(result, outDir);
  } finally {
    importing.delete(modelDir);
  }
}
