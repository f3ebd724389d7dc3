// bench:history — runs.history on a run with a million metrics lines (not a timed test; prints the
// numbers for the README): the first open (a sample while the file is read in the background), the
// latency of a cheap call meanwhile, the background read, a re-open (cached: only the tail is read),
// and the size of the answers.
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { historySettled, readHistory } from '../../electron/services/runs/history-cache';
import { loadRunState } from '../../electron/services/runs/run-state';

const LINES = Number(process.env.LINES ?? 1_000_000);
const dir = mkdtempSync(join(tmpdir(), 'tunedesk-bench-history-'));
const runDir = join(dir, 'run');
mkdirSync(runDir);
writeFileSync(join(runDir, 'run.json'), '{}');
const file = join(runDir, 'events.jsonl');
let block = '';
for (let i = 1; i <= 1000; i++) {
  block += `{"v":1,"ts":${1_700_000_000 + i},"type":"metrics","step":${i},"epoch":0.5,"values":{"loss":${2 + Math.sin(i)},"lr":0.0002,"grad_norm":1.5,"tokens_per_s":1234.5,"mem_gb":3.2,"mem_peak_gb":3.4}}\n`;
}
const fd = openSync(file, 'w');
const buffer = Buffer.from(block);
for (let b = 0; b < LINES / 1000; b++) writeSync(fd, buffer);
closeSync(fd);

const ms = (t: number) => `${(performance.now() - t).toFixed(0)} ms`;
let t = performance.now();
const first = await readHistory(file);
console.log(`first open (sampled=${first.sampled}): ${ms(t)}, ${first.events.length} events, ${JSON.stringify(first.events).length} bytes`);
t = performance.now();
await loadRunState(runDir);
console.log(`a cheap call meanwhile (the run's summary): ${ms(t)}`);
t = performance.now();
await historySettled(file);
console.log(`background read of ${LINES} lines: ${ms(t)} more`);
t = performance.now();
const again = await readHistory(file);
console.log(`re-open (cached, sampled=${again.sampled}): ${ms(t)}, ${again.events.length} events, ${JSON.stringify(again.events).length} bytes`);
rmSync(dir, { recursive: true, force: true });
process.exit(0);
