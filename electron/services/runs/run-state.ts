// What state a run directory is in, from its own files: events.jsonl decides (run_finished);
// without it, a process that still runs (pid AND start time match) means running, one that is
// gone means crashed, and no process at all means the run is still queued.
import { open, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { EventsTailer, type MalformedLine } from './events-tailer';
import { parseEvent } from './event-parse';
import { BACKGROUND_CHUNK_BYTES, fileHead, QUICK_READ_BYTES } from './history-cache';
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
const FOLDED_CACHE_MAX = 500;

const emptyFold = (runId: string): Pick<Folded, 'summary' | 'malformed' | 'firstMalformed'> => ({
  summary: emptySummary(runId, 'queued'),
  malformed: 0,
  firstMalformed: null,
});

/** Background folds of long events files, by file: one at a time per file. */
const filling = new Map<string, Promise<void>>();

/**
 * A provisional summary of a long events file whose fold is still running: its head (run_started)
 * and its tail (the last metrics, run_finished) read whole. The best loss needs every line, so it
 * stays unknown (null) until the fold is complete.
 */
async function provisionalFold(file: string, runId: string, size: number): Promise<Folded> {
  const summary = emptySummary(runId, 'queued');
  const folded: Folded = { head: '', tailer: null as unknown as EventsTailer, summary, malformed: 0, firstMalformed: null };
  const handle = await open(file, 'r');
  try {
    for (const [start, length] of [[0, 64 * 1024], [Math.max(64 * 1024, size - 256 * 1024), 256 * 1024]] as const) {
      const buffer = Buffer.alloc(Math.max(0, Math.min(length, size - start)));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, start);
      const lines = buffer.toString('utf8', 0, bytesRead).split('\n');
      if (start > 0) lines.shift(); // cut at the window's start
      lines.pop(); // cut at its end (or the empty string after the last newline)
      const events = lines.map((l) => parseEvent(l)).flatMap((p) => (p.ok ? [p.event] : []));
      folded.summary = applyEvents(folded.summary, events);
    }
  } finally {
    await handle.close();
  }
  folded.summary = { ...folded.summary, bestLoss: null };
  return folded;
}

async function foldEvents(file: string, runId: string): Promise<Folded> {
  const entry = foldedCache.get(file);
  const info = await stat(file).catch(() => null);
  // A long file read for the first time is folded in the background (other calls never wait on
  // it); meanwhile its head and tail give the summary.
  if (info && info.size - (entry?.tailer.position ?? 0) > QUICK_READ_BYTES && !filling.has(file)) {
    const background = foldEventsNow(file, runId, info).then(
      () => undefined,
      () => undefined,
    );
    filling.set(file, background);
    void background.finally(() => filling.delete(file));
  }
  if (info && filling.has(file)) return provisionalFold(file, runId, info.size);
  return foldEventsNow(file, runId, info);
}

async function foldEventsNow(file: string, runId: string, info: Awaited<ReturnType<typeof stat>> | null): Promise<Folded> {
  let entry = foldedCache.get(file);
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
    }, { chunkBytes: BACKGROUND_CHUNK_BYTES });
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
