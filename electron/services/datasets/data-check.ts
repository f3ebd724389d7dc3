// Runs the trainer's `python -m tunedesk data-check ... --json` and turns its one JSON object into
// the contract's DataCheckReport. The trainer decides what is valid; this file only translates.
import type { DataCheckReport } from '../../shared/contract/datasets';
import { runTrainerPython, type TrainerRunResult } from '../python-env/trainer-python';

export const DATA_CHECK_TIMEOUT_MS = 120_000;

export interface DataCheckOptions {
  trainPath: string;
  modelDir?: string | undefined;
  mode?: string | undefined;
  maxLen?: number | undefined;
  maxSrcLen?: number | undefined;
  preview?: number | undefined;
  dropEmptyOutput?: boolean | undefined;
}

/** A data check that could not run at all (no Python, timeout, unreadable output). */
export class DataCheckError extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}

export function dataCheckArgs(options: DataCheckOptions): string[] {
  const args = ['data-check', '--json', '--train_path', options.trainPath];
  if (options.modelDir) args.push('--model_name_or_path', options.modelDir);
  if (options.mode) args.push('--mode', options.mode);
  if (options.maxLen !== undefined) args.push('--max_len', String(options.maxLen));
  if (options.maxSrcLen !== undefined) args.push('--max_src_len', String(options.maxSrcLen));
  if (options.preview !== undefined) args.push('--preview', String(options.preview));
  if (options.dropEmptyOutput) args.push('--drop_empty_output');
  return args;
}

type Raw = Record<string, unknown>;

/** The trainer's JSON (snake_case, optional keys) → the contract's report. */
export function toReport(raw: Raw, trainPath: string): DataCheckReport {
  const error = raw.error as { kind: string; message: string; hint: string } | undefined;
  return {
    ok: raw.ok === true,
    trainPath: typeof raw.train_path === 'string' ? raw.train_path : trainPath,
    samples: typeof raw.samples === 'number' ? raw.samples : 0,
    format: typeof raw.format === 'string' ? raw.format : null,
    problems: Array.isArray(raw.problems) ? (raw.problems as DataCheckReport['problems']) : [],
    problemCount: typeof raw.problem_count === 'number' ? raw.problem_count : 0,
    mode: typeof raw.mode === 'string' ? raw.mode : null,
    stats: (raw.stats as DataCheckReport['stats']) ?? null,
    histogram: (raw.histogram as DataCheckReport['histogram']) ?? null,
    preview: Array.isArray(raw.preview)
      ? (raw.preview as Array<DataCheckReport['preview'][number] & { cut_by?: DataCheckReport['preview'][number]['cutBy'] }>).map(({ cut_by, ...p }) => ({ ...p, cutBy: cut_by ?? [] }))
      : [],
    error: error ? { kind: error.kind, message: error.message, hint: error.hint } : null,
  };
}

/** The last line of stdout that parses as a JSON object (libraries may print before it). */
export function parseDataCheckOutput(result: TrainerRunResult): Raw {
  if (result.startError) {
    throw new DataCheckError(`The trainer could not start: ${result.startError}`, 'Set up the trainer environment from the home screen (or run npm run setup:python).');
  }
  if (result.timedOut) {
    throw new DataCheckError(`Checking the data took longer than ${DATA_CHECK_TIMEOUT_MS / 1000} s and was stopped.`, 'Try a smaller file or fewer preview samples.');
  }
  const lines = result.stdout.trim().split('\n').reverse();
  for (const line of lines) {
    if (!line.startsWith('{')) continue;
    try {
      return JSON.parse(line) as Raw;
    } catch {
      // not the report line
    }
  }
  const tail = result.stderr.trim().split('\n').slice(-5).join('\n');
  throw new DataCheckError(
    `The data check ended (exit code ${result.exitCode}) without a report.${tail ? `\n${tail}` : ''}`,
    'The trainer environment may be broken: set it up again from the home screen.',
  );
}

export async function checkDataset(options: DataCheckOptions, run = runTrainerPython): Promise<DataCheckReport> {
  const result = await run(dataCheckArgs(options), { timeoutMs: DATA_CHECK_TIMEOUT_MS });
  return toReport(parseDataCheckOutput(result), options.trainPath);
}
