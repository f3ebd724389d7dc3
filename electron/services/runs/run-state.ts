// What state a run directory is in, from its own files: events.jsonl decides (run_finished);
// without it, a process that still runs (pid AND start time match) means running, one that is
// gone means crashed, and no process at all means the run is still queued.
import { open, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { EventsTailer, type MalformedLine } from './events-tailer';
import { isSameProcessAlive } from './process-tree';
import {
  linksOutOfItsFolder,
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

interface Folded {
  /** The file's first bytes: a replaced file (same name, new run) is never mixed in, even when
   * the file system reuses the inode. */
  head: string;
  tailer: EventsTailer;
  summary: RunSummary;
  malformed: number;
  firstMalformed: MalformedLine | null;
}

/**
 * Events folded so far, per events file: listing runs again (the runs screen refreshes) reads only
 * what was appended since, not a long run's whole history each time. Bounded: oldest entries go.
 */
const foldedCache = new Map<string, Folded>();
const HEAD_BYTES = 256;

async function fileHead(file: string, bytes: number): Promise<string> {
  const handle = await open(file, 'r').catch(() => null);
  if (!handle) return '';
  try {
    const buffer = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
    return buffer.subarray(0, bytesRead).toString('latin1');
  } finally {
    await handle.close();
  }
}
const FOLDED_CACHE_MAX = 500;

const emptyFold = (runId: string): Pick<Folded, 'summary' | 'malformed' | 'firstMalformed'> => ({
  summary: emptySummary(runId, 'queued'),
  malformed: 0,
  firstMalformed: null,
});

async function foldEvents(file: string, runId: string): Promise<Folded> {
  let entry = foldedCache.get(file);
  const info = await stat(file).catch(() => null);
  // A file that vanished, shrank or was replaced: start over.
  if (entry && (!info || info.size < entry.tailer.position || (await fileHead(file, entry.head.length)) !== entry.head)) entry = undefined;
  if (!entry) {
    const fresh: Folded = { head: await fileHead(file, HEAD_BYTES), tailer: null as unknown as EventsTailer, summary: emptySummary(runId, 'queued'), malformed: 0, firstMalformed: null };
    fresh.tailer = new EventsTailer(file, {
      onEvents: (events) => (fresh.summary = applyEvents(fresh.summary, events)),
      onMalformed: (problem) => {
        fresh.malformed += 1;
        fresh.firstMalformed ??= problem;
      },
    });
    entry = fresh;
  }
  await entry.tailer.readNew();
  foldedCache.delete(file); // re-insert: the Map's order is the recency order
  foldedCache.set(file, entry);
  if (foldedCache.size > FOLDED_CACHE_MAX) foldedCache.delete(foldedCache.keys().next().value!);
  return entry;
}

export async function loadRunState(runDir: string): Promise<RunState> {
  const files = runFiles(runDir);
  const problems: string[] = [];
  const config = await readTrainerConfig(runDir).catch((error: Error) => (problems.push(error.message), null));
  const meta = await readRunMeta(runDir).catch((error: Error) => (problems.push(error.message), null));
  const processInfo = await readProcessInfo(runDir).catch((error: Error) => (problems.push(error.message), null));
  const runId = basename(runDir); // the trainer names its run after the directory, and so do we
  const eventsLinkOut = await linksOutOfItsFolder(files.events);
  if (eventsLinkOut) problems.push(`${files.events}: a link to outside its run folder; not read`);
  const folded = eventsLinkOut ? emptyFold(runId) : await foldEvents(files.events, runId);
  let summary = { ...folded.summary, malformedLines: folded.malformed };
  if (folded.firstMalformed) {
    const m = folded.firstMalformed;
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
