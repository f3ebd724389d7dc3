// The checkpoints of one run: complete ones (manifest.json present — it is written last — and
// every file it lists there with its size) with step, loss and size on disk; incomplete ones (no
// manifest, a listed file missing, cut or a link, or a .tmp- directory left by a crash) shown as
// incomplete and never offered for resume or export.
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { staysInRun } from '../paths/run-paths';
import { z } from 'zod';
import { listedFilesProblem } from './checkpoint-files';

export const checkpointManifestSchema = z.looseObject({
  format: z.literal('tunedesk-checkpoint'),
  version: z.number().int(),
  step: z.number().int(),
  epoch: z.number().nullable().optional(),
  method: z.string().optional(),
  loss: z.number().nullable().optional(),
  run_id: z.string().optional(),
  created: z.number().optional(),
  files: z.record(z.string(), z.number()).optional(),
});
export type CheckpointManifest = z.infer<typeof checkpointManifestSchema>;

export interface CheckpointInfo {
  /** Directory name, e.g. step-000500. */
  name: string;
  /** Path relative to the run directory, e.g. checkpoints/step-000500. */
  path: string;
  absolutePath: string;
  step: number | null;
  complete: boolean;
  loss: number | null;
  sizeBytes: number;
  created: number | null;
  /** Why an incomplete checkpoint is incomplete. */
  problem: string | null;
}

/** Total bytes of the files under a directory (symlinks are not followed; `links` collects them). */
export async function directorySize(dir: string, links: string[] = []): Promise<number> {
  let total = 0;
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isSymbolicLink()) links.push(path);
    else if (entry.isDirectory()) total += await directorySize(path, links);
    else if (entry.isFile()) total += (await stat(path)).size;
  }
  return total;
}

const STEP_DIR = /^step-(\d+)$/;
const TMP_DIR = /^\.tmp-step-(\d+)-/;

async function inspectCheckpoint(runDir: string, name: string): Promise<CheckpointInfo> {
  const absolutePath = join(runDir, 'checkpoints', name);
  const stepMatch = STEP_DIR.exec(name) ?? TMP_DIR.exec(name);
  const info: CheckpointInfo = {
    name,
    path: `checkpoints/${name}`,
    absolutePath,
    step: stepMatch ? Number(stepMatch[1]) : null,
    complete: false,
    loss: null,
    sizeBytes: 0,
    created: null,
    problem: null,
  };
  const links: string[] = [];
  info.sizeBytes = await directorySize(absolutePath, links);
  if (TMP_DIR.test(name)) return { ...info, problem: 'interrupted while saving (temporary directory)' };
  // Resume, export and try read every file of a complete checkpoint: a link could make them read
  // (or the trainer overwrite) something outside the run, so a checkpoint with links is not used.
  if (links.length > 0) {
    const shown = links.slice(0, 3).map((l) => relative(absolutePath, l)).join(', ');
    return { ...info, problem: `contains symbolic links (${shown}); TuneDesk does not follow them, so this checkpoint is not used` };
  }
  let text: string;
  try {
    text = await readFile(join(absolutePath, 'manifest.json'), 'utf8');
  } catch {
    return { ...info, problem: 'no manifest.json: the save did not finish' };
  }
  let manifest: CheckpointManifest;
  try {
    manifest = checkpointManifestSchema.parse(JSON.parse(text));
  } catch {
    return { ...info, problem: 'manifest.json is not a valid tunedesk-checkpoint manifest' };
  }
  const filesProblem = await listedFilesProblem(absolutePath, manifest.files);
  if (filesProblem) return { ...info, step: manifest.step, problem: `incomplete: ${filesProblem}` };
  return { ...info, complete: true, step: manifest.step, loss: manifest.loss ?? null, created: manifest.created ?? null };
}

/** Every checkpoint directory of a run, by step. */
export async function listCheckpoints(runDir: string): Promise<CheckpointInfo[]> {
  // A checkpoints folder that links out of its run is never listed, so never resumed, exported or deleted.
  const realRun = await realpath(runDir).catch(() => runDir);
  if (!(await staysInRun(realRun, 'checkpoints'))) return [];
  runDir = realRun;
  let names: string[];
  try {
    names = (await readdir(join(runDir, 'checkpoints'), { withFileTypes: true }))
      .filter((e) => e.isDirectory() && (STEP_DIR.test(e.name) || TMP_DIR.test(e.name)))
      .map((e) => e.name);
  } catch {
    return [];
  }
  const infos = await Promise.all(names.map((name) => inspectCheckpoint(runDir, name)));
  return infos.sort((a, b) => (a.step ?? -1) - (b.step ?? -1) || a.name.localeCompare(b.name));
}

/** The complete checkpoint at `step`, or the last complete one when step is omitted. */
export async function findCompleteCheckpoint(runDir: string, step?: number): Promise<CheckpointInfo | null> {
  const complete = (await listCheckpoints(runDir)).filter((c) => c.complete);
  if (step === undefined) return complete[complete.length - 1] ?? null;
  return complete.find((c) => c.step === step) ?? null;
}
