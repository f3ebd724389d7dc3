import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TrainerEvent } from '../../electron/shared/events';
import { EventsTailer, readEventsFile, type MalformedLine } from '../../electron/services/runs/events-tailer';

const golden = (name: string) => readFileSync(join(__dirname, '..', 'fixtures', 'golden-events', name), 'utf8');

describe('events tailer', () => {
  let dir = '';
  let file = '';
  let events: TrainerEvent[] = [];
  let malformed: MalformedLine[] = [];
  const handlers = { onEvents: (e: TrainerEvent[]) => events.push(...e), onMalformed: (m: MalformedLine) => malformed.push(m) };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tunedesk-tail-'));
    file = join(dir, 'events.jsonl');
    events = [];
    malformed = [];
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a whole golden run', async () => {
    writeFileSync(file, golden('completed-run.jsonl'));
    await readEventsFile(file, handlers.onEvents, handlers.onMalformed);
    expect(events.map((e) => e.type)).toEqual([
      'run_started', 'log', 'metrics', 'metrics', 'eval', 'checkpoint_saved', 'metrics', 'metrics', 'checkpoint_saved', 'run_finished',
    ]);
    expect(malformed).toEqual([]);
  });

  it('holds a partial last line until its newline arrives', async () => {
    const [first, second] = golden('completed-run.jsonl').split('\n');
    const tailer = new EventsTailer(file, handlers);
    writeFileSync(file, first + '\n' + second!.slice(0, 40));
    await tailer.readNew();
    expect(events).toHaveLength(1);
    expect(tailer.pendingPartialLine).toBe(second!.slice(0, 40));
    appendFileSync(file, second!.slice(40) + '\n');
    await tailer.readNew();
    expect(events.map((e) => e.type)).toEqual(['run_started', 'log']);
    expect(malformed).toEqual([]);
  });

  it('splits multi-byte UTF-8 characters across reads without corrupting them', async () => {
    const line = JSON.stringify({ v: 1, ts: 1, type: 'log', level: 'info', message: '训练开始 — ünïcödé' }) + '\n';
    const bytes = Buffer.from(line);
    const tailer = new EventsTailer(file, handlers, { chunkBytes: 7 });
    writeFileSync(file, bytes.subarray(0, 55));
    await tailer.readNew();
    appendFileSync(file, bytes.subarray(55));
    await tailer.readNew();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ message: '训练开始 — ünïcödé' });
  });

  it('reports each malformed line with its line number and keeps going', async () => {
    const lines = golden('cancelled-run.jsonl').trim().split('\n');
    const bad = golden('invalid-events.jsonl').trim().split('\n');
    writeFileSync(file, [lines[0], '{"v":1,"ts":', bad[1], lines[1], '', lines[2]].join('\n') + '\n');
    await readEventsFile(file, handlers.onEvents, handlers.onMalformed);
    expect(events.map((e) => e.type)).toEqual(['run_started', 'metrics', 'log']);
    expect(malformed.map((m) => [m.line, m.error])).toEqual([
      [2, 'not valid JSON'],
      [3, expect.any(String)],
    ]);
    expect(malformed[1]!.file).toBe(file);
  });

  it('is live: an appended line reaches the handler through the watcher', async () => {
    const tailer = new EventsTailer(file, handlers, { pollMs: 60_000 }); // only fs.watch can deliver in time
    await tailer.start();
    try {
      const line = golden('completed-run.jsonl').split('\n')[0]!;
      appendFileSync(file, line + '\n');
      const deadline = Date.now() + 2000;
      while (events.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(events).toHaveLength(1);
    } finally {
      tailer.stop();
    }
  });

  it('waits for a file that does not exist yet', async () => {
    const tailer = new EventsTailer(file, handlers, { pollMs: 50 });
    await tailer.start();
    try {
      expect(events).toEqual([]);
      writeFileSync(file, golden('failed-run.jsonl'));
      const deadline = Date.now() + 2000;
      while (events.length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(events.at(-1)).toMatchObject({ type: 'run_finished', status: 'failed' });
      expect(tailer.position).toBe(Buffer.byteLength(golden('failed-run.jsonl')));
    } finally {
      tailer.stop();
    }
  });
});
