// The files of one run directory that the app writes or reads (see /ARCHITECTURE.md "The run
// directory"): run.json (the trainer's own flag names), run-meta.json (the app's: GPUs, parent),
// process.json (how to find the process again after a restart), events.jsonl, train.log, STOP,
// telemetry.jsonl, checkpoints/.
import { lstat, open, readFile, realpath, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { isWithin, PathRefusedError } from '../paths/path-guard';
import { z } from 'zod';

export const runFiles = (runDir: string) => ({
  runJson: join(runDir, 'run.json'),
  meta: join(runDir, 'run-meta.json'),
  processJson: join(runDir, 'process.json'),
  events: join(runDir, 'events.jsonl'),
  log: join(runDir, 'train.log'),
  stop: join(runDir, 'STOP'),
  telemetry: join(runDir, 'telemetry.jsonl'),
  checkpoints: join(runDir, 'checkpoints'),
});

/** A run's link to the checkpoint it resumed from. */
export const runParentSchema = z.looseObject({
  run_id: z.string(),
  /** Checkpoint path relative to the parent run directory, e.g. checkpoints/step-000004. */
  checkpoint: z.string(),
  step: z.number().int().nullable().optional(),
});
export type RunParent = z.infer<typeof runParentSchema>;

/**
 * run.json: exactly the trainer's flag names (train_type, model_name_or_path, train_path, ...),
 * what `python -m tunedesk train --config run.json` accepts — the trainer rejects unknown keys
 * and rewrites the file with its resolved configuration, so nothing of the app's goes in here.
 */
export const trainerConfigSchema = z.record(z.string(), z.unknown());
export type TrainerConfig = z.infer<typeof trainerConfigSchema>;

/** run-meta.json: what the app knows about a run beyond the trainer's configuration. */
export const runMetaSchema = z.looseObject({
  run_id: z.string(),
  /** Unix seconds when the run was created (queued). */
  created_at: z.number(),
  /** GPU indices; empty = the trainer's default device (one GPU or the CPU). */
  gpus: z.array(z.number().int().nonnegative()),
  /** For a resumed run: the run and checkpoint it continues from. */
  parent: runParentSchema.nullable(),
  /** Preset id it was started from, if any. */
  preset: z.string().nullable().optional(),
  /** 'preflight' for the two-step memory probe (hidden from the runs list); absent for real runs. */
  kind: z.literal('preflight').optional(),
});
export type RunMeta = z.infer<typeof runMetaSchema>;

/** process.json: written by the app right after launch; pid + start time identify the process. */
export const processInfoSchema = z.looseObject({
  pid: z.number().int().positive(),
  /** Process-group id (POSIX); null on Windows, where the tree is ended with taskkill /T. */
  pgid: z.number().int().positive().nullable(),
  /** Platform-specific start-time token (see process-tree.ts); null if the process had already exited. */
  start_time: z.string().nullable(),
  /** When the app launched it, unix seconds. */
  launched_at: z.number(),
  argv: z.array(z.string()),
  platform: z.string(),
  /** "torch" (one device) or "deepspeed" (the DeepSpeed multi-GPU launcher). */
  launcher: z.enum(['torch', 'deepspeed']),
});
export type ProcessInfo = z.infer<typeof processInfoSchema>;

/** Writes JSON atomically (temp file + rename): a reader never sees half a file. */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(value, null, 2) + '\n');
  await rename(tmp, path);
}

/**
 * True when `path` is a symbolic link whose real target lies outside the (real) folder it sits in:
 * a run's own files are read only where they really are, never through a link to elsewhere.
 */
export async function linksOutOfItsFolder(path: string): Promise<boolean> {
  const info = await lstat(path).catch(() => null);
  if (!info?.isSymbolicLink()) return false;
  const [folder, real] = await Promise.all([realpath(dirname(path)).catch(() => dirname(path)), realpath(path).catch(() => null)]);
  return real === null || !isWithin(folder, real);
}

/** Reads and validates a JSON file; null when it does not exist, an Error saying which file otherwise. */
export async function readJsonFile<T>(path: string, schema: z.ZodType<T>): Promise<T | null> {
  if (await linksOutOfItsFolder(path)) {
    throw new PathRefusedError(`${path}: a link to outside its run folder; not read`, 'Replace the link with the file itself.');
  }
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new Error(`${path}: not valid JSON`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${path}: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`);
  }
  return parsed.data;
}

export const readTrainerConfig = (runDir: string) => readJsonFile(runFiles(runDir).runJson, trainerConfigSchema);
export const readRunMeta = (runDir: string) => readJsonFile(runFiles(runDir).meta, runMetaSchema);
export const readProcessInfo = (runDir: string) => readJsonFile(runFiles(runDir).processJson, processInfoSchema);

/** The last `maxLines` lines of train.log (read from the end, never the whole file). */
export async function readLogTail(logPath: string, maxLines = 40, maxBytes = 64 * 1024): Promise<string[]> {
  if (await linksOutOfItsFolder(logPath)) return [`(train.log is a link to outside its run folder; not read)`];
  let handle;
  try {
    handle = await open(logPath, 'r');
  } catch {
    return [];
  }
  try {
    const { size } = await handle.stat();
    const start = Math.max(0, size - maxBytes);
    const buffer = Buffer.alloc(size - start);
    await handle.read(buffer, 0, buffer.length, start);
    const lines = buffer.toString('utf8').split(/\r?\n/);
    if (start > 0) lines.shift(); // the first line is cut
    while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    return lines.slice(-maxLines);
  } finally {
    await handle.close();
  }
}
