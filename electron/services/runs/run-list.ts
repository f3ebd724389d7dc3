// Every run under the runs root — started by the app, by the CLI, or by hand with
// `python -m tunedesk train --output_dir <root>/<name>` — with status, method, base model, best
// and last loss, duration and checkpoints.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { loadRunState, type RunState } from './run-state';
import { listCheckpoints, type CheckpointInfo } from '../checkpoints/checkpoint-list';

/** Directories under the root that look like runs (run.json or events.jsonl inside). */
export async function listRunDirs(runsRoot: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(runsRoot, { withFileTypes: true });
  } catch {
    return [];
  }
  const dirs: string[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    const dir = join(runsRoot, entry.name);
    const hasRunFile = await Promise.any([stat(join(dir, 'run.json')), stat(join(dir, 'events.jsonl'))]).then(
      () => true,
      () => false,
    );
    if (hasRunFile) dirs.push(dir);
  }
  return dirs.sort();
}

export interface RunListing {
  runId: string;
  runDir: string;
  status: RunState['summary']['status'];
  method: string | null;
  model: string | null;
  bestLoss: number | null;
  lastLoss: number | null;
  step: number;
  totalSteps: number | null;
  startedAt: number | null;
  finishedAt: number | null;
  /** Seconds from the first to the last event (or until now for a live run). */
  durationSeconds: number | null;
  parent: { run_id: string; checkpoint: string } | null;
  checkpoints: CheckpointInfo[];
  problems: string[];
}

export function toListing(state: RunState, checkpoints: CheckpointInfo[]): RunListing {
  const s = state.summary;
  const end = s.finishedAt ?? (s.status === 'running' ? Date.now() / 1000 : s.updatedAt);
  return {
    runId: state.runId,
    runDir: state.runDir,
    status: s.status,
    method: s.method ?? (typeof state.config?.train_type === 'string' ? state.config.train_type : null),
    model: s.model ?? (typeof state.config?.model_name_or_path === 'string' ? state.config.model_name_or_path : null),
    bestLoss: s.bestLoss,
    lastLoss: s.lastLoss,
    step: s.step,
    totalSteps: s.totalSteps,
    startedAt: s.startedAt,
    finishedAt: s.finishedAt,
    durationSeconds: s.startedAt !== null && end !== null ? Math.max(0, end - s.startedAt) : null,
    parent: state.meta?.parent ? { run_id: state.meta.parent.run_id, checkpoint: state.meta.parent.checkpoint } : null,
    checkpoints,
    problems: state.problems,
  };
}

/** One run's listing (with its live-or-not status). */
export async function describeRun(
  runDir: string,
): Promise<RunListing & Pick<RunState, 'summary' | 'config' | 'meta' | 'process'>> {
  const state = await loadRunState(runDir);
  const { summary, config, meta, process } = state;
  return { ...toListing(state, await listCheckpoints(runDir)), summary, config, meta, process };
}

/** Every run under the root, newest first. */
export async function listRuns(runsRoot: string): Promise<RunListing[]> {
  const dirs = await listRunDirs(runsRoot);
  const states = (await Promise.all(dirs.map((dir) => loadRunState(dir)))).filter((s) => s.meta?.kind !== 'preflight');
  const listings = await Promise.all(states.map(async (state) => toListing(state, await listCheckpoints(state.runDir))));
  return listings.sort((a, b) => (b.startedAt ?? 0) - (a.startedAt ?? 0) || b.runId.localeCompare(a.runId));
}
