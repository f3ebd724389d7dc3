// What state a run directory is in, from its own files: events.jsonl decides (run_finished);
// without it, a process that still runs (pid AND start time match) means running, one that is
// gone means crashed, and no process at all means the run is still queued.
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { readEventsFile, type MalformedLine } from './events-tailer';
import { isSameProcessAlive } from './process-tree';
import {
  readLogTail,
  readProcessInfo,
  readRunMeta,
  readTrainerConfig,
  runFiles,
  type ProcessInfo,
  type RunMeta,
  type TrainerConfig,
} from './run-files';
import { applyEvents, emptySummary, isFinal, markCrashed, type RunSummary } from './run-summary';

export interface RunState {
  runId: string;
  runDir: string;
  /** run.json: the trainer's configuration. */
  config: TrainerConfig | null;
  /** run-meta.json: GPUs and parent (absent for runs made without the app). */
  meta: RunMeta | null;
  process: ProcessInfo | null;
  summary: RunSummary;
  /** The process recorded in process.json is still this run's process. */
  alive: boolean;
  /** Problems reading the run's own files (reported, never fatal for the listing). */
  problems: string[];
}

/**
 * A run whose trainer was started by hand (`python -m tunedesk train`, no process.json) and whose
 * events stopped changing this long ago is taken as ended without run_finished.
 */
export const UNMANAGED_STALE_SECONDS = 300;

export async function loadRunState(runDir: string): Promise<RunState> {
  const files = runFiles(runDir);
  const problems: string[] = [];
  const config = await readTrainerConfig(runDir).catch((error: Error) => (problems.push(error.message), null));
  const meta = await readRunMeta(runDir).catch((error: Error) => (problems.push(error.message), null));
  const processInfo = await readProcessInfo(runDir).catch((error: Error) => (problems.push(error.message), null));
  const runId = basename(runDir); // the trainer names its run after the directory, and so do we
  let summary = emptySummary(runId, 'queued');
  let malformed = 0;
  let firstMalformed: MalformedLine | null = null;
  await readEventsFile(
    files.events,
    (events) => (summary = applyEvents(summary, events)),
    (problem) => {
      malformed += 1;
      firstMalformed ??= problem;
    },
  );
  summary = { ...summary, malformedLines: malformed };
  if (firstMalformed) {
    const m = firstMalformed as MalformedLine;
    problems.push(`${m.file}:${m.line}: ${m.error}`);
  }
  let alive = false;
  if (!isFinal(summary.status)) {
    const eventsStat = await stat(files.events).catch(() => null);
    if (processInfo) {
      alive = await isSameProcessAlive(processInfo.pid, processInfo.start_time);
    } else if (eventsStat) {
      alive = Date.now() / 1000 - eventsStat.mtimeMs / 1000 < UNMANAGED_STALE_SECONDS;
    }
    if (alive) summary = { ...summary, status: 'running' };
    else if (processInfo || eventsStat) {
      const endedAt = eventsStat ? eventsStat.mtimeMs / 1000 : processInfo!.launched_at;
      summary = markCrashed(summary, await readLogTail(files.log), endedAt);
    }
  } else if (summary.status === 'failed') {
    summary = { ...summary, logTail: await readLogTail(files.log) };
  }
  return { runId, runDir, config, meta, process: processInfo, summary, alive, problems };
}
