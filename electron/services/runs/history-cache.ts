// A run's history for the charts (runs.history), bounded and incremental. Per events file the host
// keeps a downsampled fold (history-downsample.ts) and the file offset it has read to: opening the
// run again reads only the new tail. A long file read for the first time is read in the background
// (chunk by chunk, the event loop free between chunks, so other calls never wait on it); meanwhile
// the answer is a sample of evenly spaced windows of the file plus its head and its whole tail
// (first events, and the final values exact), marked `sampled`, so opening any run answers fast.
import { closeSync, openSync, readSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import type { TrainerEvent } from '../../shared/events';
import { parseEvent } from './event-parse';
import { EventsTailer } from './events-tailer';
import { SeriesDownsampler } from './history-downsample';

/** Points kept per series ≈ 3 × this (min, max and last per bucket). */
const BUCKETS = 1000;
/** Log events kept (the newest); a million-line run can log as much as it measures. */
const MAX_LOGS = 500;
/** Up to this many unread bytes are read before answering; more is read in the background. */
export const QUICK_READ_BYTES = 8 * 1024 * 1024;
const CACHE_MAX = 50;
/** Small chunks for long reads: each is a few milliseconds of parsing, then other calls get a turn. */
export const BACKGROUND_CHUNK_BYTES = 32 * 1024;
const HEAD_BYTES = 256;

export interface HistoryAnswer {
  events: TrainerEvent[];
  malformedLines: number;
  /** True while the file is still being read: the events are a sample (head, spaced windows, tail). */
  sampled: boolean;
}

type Seq = { seq: number; event: TrainerEvent };

class HistoryFold {
  readonly metrics = new SeriesDownsampler(BUCKETS);
  readonly evals = new SeriesDownsampler(BUCKETS);
  readonly others: Seq[] = [];
  logs: Seq[] = [];
  malformed = 0;
  private seq = 0;

  add(event: TrainerEvent, seq = this.seq++): void {
    if (event.type === 'metrics') this.metrics.add(seq, event);
    else if (event.type === 'eval') this.evals.add(seq, event);
    else if (event.type === 'log') {
      this.logs.push({ seq, event });
      if (this.logs.length > 2 * MAX_LOGS) this.logs = this.logs.slice(-MAX_LOGS);
    } else this.others.push({ seq, event });
  }

  events(): TrainerEvent[] {
    return [...this.others, ...this.logs.slice(-MAX_LOGS), ...this.metrics.points(), ...this.evals.points()]
      .sort((a, b) => a.seq - b.seq)
      .map((s) => s.event);
  }
}

interface Entry {
  head: string;
  fold: HistoryFold;
  tailer: EventsTailer;
  filling: Promise<void> | null;
}

const cache = new Map<string, Entry>();

/** The first `bytes` of a file as latin1 text ('' when it cannot be opened). */
export async function fileHead(file: string, bytes: number): Promise<string> {
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

async function entryFor(file: string, size: number): Promise<Entry> {
  let entry = cache.get(file);
  // A file that shrank or was replaced (same name, another run): start over.
  if (entry && (size < entry.tailer.position || (await fileHead(file, entry.head.length)) !== entry.head)) entry = undefined;
  if (!entry) {
    const fold = new HistoryFold();
    const fresh: Entry = {
      head: await fileHead(file, HEAD_BYTES),
      fold,
      tailer: new EventsTailer(file, {
        onEvents: (events) => {
          for (const e of events) fold.add(e);
        },
        onMalformed: () => (fold.malformed += 1),
      }, { chunkBytes: BACKGROUND_CHUNK_BYTES }),
      filling: null,
    };
    entry = fresh;
  }
  cache.delete(file); // re-insert: the Map's order is the recency order
  cache.set(file, entry);
  if (cache.size > CACHE_MAX) cache.delete(cache.keys().next().value!);
  return entry;
}

/** The run's history, downsampled; reads only what was appended since the last call. */
export async function readHistory(file: string): Promise<HistoryAnswer> {
  const size = (await stat(file).catch(() => null))?.size ?? 0;
  const entry = await entryFor(file, size);
  if (size - entry.tailer.position <= QUICK_READ_BYTES && !entry.filling) {
    await entry.tailer.readNew();
    return { events: entry.fold.events(), malformedLines: entry.fold.malformed, sampled: false };
  }
  // The sample first (its reads are not queued behind the background read's), then the read.
  const sample = await sampleFile(file, size);
  entry.filling ??= entry.tailer.readNew().finally(() => (entry.filling = null));
  entry.filling.catch(() => cache.delete(file));
  return { ...sample, sampled: true };
}

/** Resolves when the background read of `file` (if any) is done (tests, the bench). */
export async function historySettled(file: string): Promise<void> {
  await cache.get(file)?.filling;
}

/**
 * A bounded sample of a long events file: its head and tail read whole, and `windows` evenly spaced
 * windows in between; only complete lines count. Ordered by byte offset, like the file.
 */
async function sampleFile(file: string, size: number, windows = 1000, windowBytes = 600): Promise<Omit<HistoryAnswer, 'sampled'>> {
  const fold = new HistoryFold();
  const fd = openSync(file, 'r');
  try {
    const spans: [number, number][] = [[0, 16 * 1024]];
    for (let i = 1; i < windows; i++) spans.push([Math.floor((i * size) / windows), windowBytes]);
    spans.push([Math.max(0, size - 64 * 1024), 64 * 1024]);
    // Under 1 MB read synchronously (milliseconds from the page cache): one short turn of
    // the event loop, where a thousand awaited reads would each queue behind other work.
    const buffers = spans.map(([start, length]) => {
      const buffer = Buffer.alloc(Math.max(0, Math.min(length, size - start)));
      const bytesRead = readSync(fd, buffer, 0, buffer.length, start);
      return { start, buffer: buffer.subarray(0, bytesRead) };
    });
    let parsedTo = 0; // windows may overlap (head and tail): a line is counted once
    for (const { start, buffer } of buffers) {
      // A window may start mid-line: its first line counts only from a line start.
      let cursor = start === 0 ? 0 : buffer.indexOf(10) + 1 || buffer.length;
      for (let nl = buffer.indexOf(10, cursor); nl !== -1; nl = buffer.indexOf(10, cursor)) {
        const seq = start + cursor;
        const line = buffer.toString('utf8', cursor, nl).trim();
        cursor = nl + 1;
        if (seq < parsedTo || !line) continue;
        const parsed = parseEvent(line);
        if (parsed.ok) fold.add(parsed.event, seq);
        else fold.malformed += 1;
      }
      parsedTo = Math.max(parsedTo, start + cursor);
    }
  } finally {
    closeSync(fd);
  }
  return { events: fold.events(), malformedLines: fold.malformed };
}
