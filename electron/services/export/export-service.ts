// Exports a checkpoint through `python -m tunedesk export` and turns its events into typed
// progress and one outcome. Accepts what a user has in hand: a checkpoint directory, a run
// directory, or a run id under the runs root (the newest complete checkpoint is taken).
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve, sep } from 'node:path';
import type { ClassifiedError } from '../../shared/events';
import { findCompleteCheckpoint } from '../checkpoints/checkpoint-list';
import { streamTrainerCommand, type StreamOptions, type StreamResult } from './trainer-stream';
import { BadNameError, resolveRunDir } from '../paths/run-paths';

export const EXPORT_DTYPES = ['fp32', 'fp16', 'bf16', 'q8_0', 'q5_0', 'q4_0'] as const;
/** GGUF block quantisations (the gguf format only). */
export const GGUF_QUANTS = ['q8_0', 'q5_0', 'q4_0'] as const;
export type ExportDtype = (typeof EXPORT_DTYPES)[number];
export const EXPORT_FORMATS = ['hf', 'gguf'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportRequest {
  /** Absolute checkpoint directory (…/checkpoints/step-NNNNNN). */
  checkpoint: string;
  /** Target directory; default <run>/exports/<step>-<format>-<dtype> (chosen by the trainer). */
  out?: string;
  dtype?: ExportDtype;
  format?: ExportFormat;
  force?: boolean;
  maxShardSize?: string;
}

export interface ExportProgress {
  stage: string;
  fraction: number;
}

/** What the trainer measured: max |Δlogit| vs the training-time model, its tolerance, samples. */
export type ExportVerification = Record<string, unknown>;

export type ExportOutcome =
  | { status: 'completed'; out: string; verification: ExportVerification; messages: string[] }
  | { status: 'failed'; out: string; error: ClassifiedError; verification?: ExportVerification; messages: string[] }
  | { status: 'cancelled'; out: string; messages: string[] };

/** A target that does not name a complete checkpoint; the message says what to pass instead. */
export class CheckpointTargetError extends Error {}

const refusedAsTarget = (error: unknown): never => {
  if (error instanceof BadNameError) throw new CheckpointTargetError(error.message);
  throw error;
};

export interface ResolvedCheckpoint {
  checkpointDir: string;
  /** The run directory when the checkpoint sits in one (…/<run>/checkpoints/step-N). */
  runDir: string | null;
}

const isDir = (p: string) => existsSync(p) && statSync(p).isDirectory();

/** Checkpoint dir, run dir or run id → the checkpoint to use. */
export async function resolveCheckpoint(target: string, runsRoot: string): Promise<ResolvedCheckpoint> {
  const asPath = resolve(target);
  if (isDir(asPath) && existsSync(join(asPath, 'manifest.json'))) {
    const parent = resolve(asPath, '..', '..');
    return { checkpointDir: asPath, runDir: isDir(join(parent, 'checkpoints')) ? parent : null };
  }
  const looksLikeId = !isAbsolute(target) && !target.includes(sep) && !target.includes('/');
  // A run id is looked up on real paths: a run folder that links out of the runs root is refused.
  const runDir = isDir(join(asPath, 'checkpoints')) ? asPath : looksLikeId ? await resolveRunDir(runsRoot, target).catch(refusedAsTarget) : null;
  if (!runDir || !isDir(runDir)) {
    throw new CheckpointTargetError(
      `"${target}" is neither a checkpoint directory (with manifest.json), a run directory, nor a run id under ${runsRoot}`,
    );
  }
  const newest = await findCompleteCheckpoint(runDir);
  if (!newest) {
    throw new CheckpointTargetError(`run ${runDir} has no complete checkpoint yet (one with manifest.json); train longer or wait for the next save`);
  }
  return { checkpointDir: newest.absolutePath, runDir };
}

export function exportArgs(request: ExportRequest): string[] {
  const args = ['export', '--checkpoint', request.checkpoint];
  if (request.out) args.push('--out', resolve(request.out));
  if (request.dtype) args.push('--dtype', request.dtype);
  if (request.format) args.push('--format', request.format);
  if (request.maxShardSize) args.push('--max_shard_size', request.maxShardSize);
  if (request.force) args.push('--force');
  return args;
}

export interface ExportHooks extends Pick<StreamOptions, 'python' | 'env' | 'signal' | 'killGraceMs' | 'onStderr'> {
  onProgress?: (progress: ExportProgress) => void;
  /** Plain-language notes from the trainer (e.g. "P-Tuning cannot be merged: ..."). */
  onMessage?: (message: string) => void;
}

/** Runs one export to its end; never rejects for a failed export (the outcome says why). */
export async function runExport(request: ExportRequest, hooks: ExportHooks = {}): Promise<ExportOutcome> {
  const messages: string[] = [];
  const result = await streamTrainerCommand(exportArgs(request), {
    ...hooks,
    onEvent(event) {
      if (event.type === 'export_progress') hooks.onProgress?.({ stage: event.stage, fraction: event.fraction });
      if (event.type === 'log') {
        messages.push(event.message);
        hooks.onMessage?.(event.message);
      }
    },
  });
  return outcomeOf(result, request.out ?? '', messages);
}

/** The outcome from the events; a process that died without export_finished is a crash. */
export function outcomeOf(result: StreamResult, requestedOut: string, messages: string[]): ExportOutcome {
  const finished = [...result.events].reverse().find((e) => e.type === 'export_finished');
  if (result.cancelled) return { status: 'cancelled', out: requestedOut, messages };
  if (finished && finished.type === 'export_finished') {
    if (finished.status === 'completed' && result.exitCode === 0) {
      return { status: 'completed', out: finished.out, verification: finished.verification ?? {}, messages };
    }
    const error = finished.error ?? { kind: 'runtime', message: 'the export failed', hint: 'See the messages above.' };
    return { status: 'failed', out: finished.out, error, ...(finished.verification ? { verification: finished.verification } : {}), messages };
  }
  const tail = result.stderrTail.slice(-3).join(' / ');
  const message = result.startError
    ? `the trainer Python could not start: ${result.startError}`
    : `the export process ended (exit ${result.exitCode}) without reporting a result${tail ? `: ${tail}` : ''}`;
  return {
    status: 'failed',
    out: requestedOut,
    error: { kind: result.startError ? 'dependency' : 'runtime', message, hint: 'Run `npm run setup:python` if the environment is broken; nothing was written to the target.' },
    messages,
  };
}
