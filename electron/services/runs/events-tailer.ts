// Follows events.jsonl incrementally: reads only the bytes appended since the last read, hands
// over complete lines only (a partial last line waits for its newline), validates each line
// against the shared schema and reports a malformed line without stopping. Never loads the whole
// file: memory stays flat however long the run is.
import { watch, type FSWatcher } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import type { TrainerEvent } from '../../shared/events';
import { parseEvent } from './event-parse';

export interface MalformedLine {
  file: string;
  /** 1-based line number in the file. */
  line: number;
  error: string;
  /** The start of the offending text, for the log panel. */
  text: string;
}

export interface TailerHandlers {
  onEvents(events: TrainerEvent[]): void;
  onMalformed?(problem: MalformedLine): void;
}

export interface TailerOptions {
  /** Slow fallback poll: fs.watch misses changes on some file systems (network drives, WSL). */
  pollMs?: number;
  chunkBytes?: number;
}

export class EventsTailer {
  private offset = 0;
  private lineNo = 0;
  private partial = '';
  private readonly decoder = new StringDecoder('utf8');
  private watcher: FSWatcher | null = null;
  private poll: NodeJS.Timeout | null = null;
  private reading: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private readonly pollMs: number;
  private readonly chunkBytes: number;

  constructor(
    readonly file: string,
    private readonly handlers: TailerHandlers,
    options: TailerOptions = {},
  ) {
    this.pollMs = options.pollMs ?? 2000;
    this.chunkBytes = options.chunkBytes ?? 256 * 1024;
  }

  /** Bytes consumed so far (complete lines only count once their newline arrived). */
  get position(): number {
    return this.offset;
  }

  /** Starts following: reads what is there, then reacts to appends. */
  start(): Promise<void> {
    this.stopped = false;
    try {
      // Watch the directory, not the file: the file may not exist yet, and some editors and
      // writers replace files (a file watcher would be left on the old inode).
      this.watcher = watch(dirname(this.file), { persistent: false }, (_event, name) => {
        if (name === null || name === basename(this.file)) void this.readNew();
      });
      this.watcher.on('error', () => this.watcher?.close());
    } catch {
      this.watcher = null; // directory missing or watching unsupported: the poll still works
    }
    this.poll = setInterval(() => void this.readNew(), this.pollMs);
    return this.readNew();
  }

  stop(): void {
    this.stopped = true;
    this.watcher?.close();
    this.watcher = null;
    if (this.poll) clearInterval(this.poll);
    this.poll = null;
  }

  /**
   * Reads everything appended since the last call and delivers it. Calls overlapping a read in
   * progress are coalesced into one more pass, so no append is ever missed.
   */
  readNew(): Promise<void> {
    if (this.reading) {
      this.again = true;
      return this.reading;
    }
    this.reading = (async () => {
      do {
        this.again = false;
        await this.readOnce();
      } while (this.again && !this.stopped);
    })().finally(() => {
      this.reading = null;
    });
    return this.reading;
  }

  private async readOnce(): Promise<void> {
    // The idle case (a poll tick, nothing appended) costs one stat, not an open/read/close.
    const size = await stat(this.file).then(
      (s) => s.size,
      () => null,
    );
    if (size === null || size === this.offset) return;
    let handle;
    try {
      handle = await open(this.file, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    try {
      const buffer = Buffer.allocUnsafe(this.chunkBytes);
      for (;;) {
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, this.offset);
        if (bytesRead === 0) break;
        this.offset += bytesRead;
        this.consume(this.decoder.write(buffer.subarray(0, bytesRead)));
        if (bytesRead < buffer.length) break;
      }
    } finally {
      await handle.close();
    }
  }

  private consume(text: string): void {
    const events: TrainerEvent[] = [];
    let start = 0;
    let data = this.partial + text;
    for (let nl = data.indexOf('\n', start); nl !== -1; nl = data.indexOf('\n', start)) {
      const line = data.slice(start, nl).replace(/\r$/, '');
      start = nl + 1;
      this.lineNo += 1;
      if (line.trim() === '') continue;
      const parsed = parseEvent(line);
      if (parsed.ok) events.push(parsed.event);
      else this.handlers.onMalformed?.({ file: this.file, line: this.lineNo, error: parsed.error, text: line.slice(0, 200) });
    }
    data = data.slice(start);
    this.partial = data;
    if (events.length > 0) this.handlers.onEvents(events);
  }

  /** The unfinished last line, if any (e.g. the trainer was killed mid-write). */
  get pendingPartialLine(): string {
    return this.partial;
  }
}

/** Reads a whole events file once, streamed (for runs that are not live). */
export async function readEventsFile(
  file: string,
  onEvents: (events: TrainerEvent[]) => void,
  onMalformed?: (problem: MalformedLine) => void,
): Promise<{ partialLine: string }> {
  const tailer = new EventsTailer(file, { onEvents, onMalformed });
  await tailer.readNew();
  return { partialLine: tailer.pendingPartialLine };
}
