// Symbolic links inside the runs root never lead an operation outside it (browser-mode HTTP, a
// real server): a run folder that is a link, a checkpoints folder that is a link, and linked files
// (events.jsonl, run.json, train.log, a weight file, a checkpoint folder). Reads through them are
// refused (403) or skip them; deletes remove the link itself, never its target. Refusals are 4xx
// with a code and a message, never 500.
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiContext, type ApiContext } from '../../electron/api/context';
import { processStartTime } from '../../electron/services/runs/process-tree';
import { startServer, type RunningServer } from '../../electron/server/server';

const golden = readFileSync(join(__dirname, '..', 'fixtures', 'golden-events', 'completed-run.jsonl'), 'utf8');

let base: string;
let runs: string;
let outside: string;
let ctx: ApiContext;
let server: RunningServer;

function makeRun(dir: string, checkpointSteps: number[] = [2]) {
  mkdirSync(join(dir, 'checkpoints'), { recursive: true });
  writeFileSync(join(dir, 'events.jsonl'), golden);
  writeFileSync(join(dir, 'run.json'), JSON.stringify({ train_type: 'lora', model_name_or_path: '/m', train_path: '/d.jsonl' }));
  writeFileSync(join(dir, 'train.log'), 'log\n');
  for (const step of checkpointSteps) makeCheckpoint(join(dir, 'checkpoints', `step-${String(step).padStart(6, '0')}`), step);
}
function makeCheckpoint(ck: string, step: number) {
  mkdirSync(join(ck, 'adapter'), { recursive: true });
  writeFileSync(join(ck, 'adapter', 'adapter_model.safetensors'), Buffer.alloc(64));
  const manifest = { format: 'tunedesk-checkpoint', version: 1, step, loss: 1, files: { 'adapter/adapter_model.safetensors': 64 } };
  writeFileSync(join(ck, 'manifest.json'), JSON.stringify(manifest));
}

beforeAll(async () => {
  base = realpathSync(mkdtempSync(join(tmpdir(), 'tunedesk-links-')));
  runs = join(base, 'runs');
  outside = join(base, 'outside');
  mkdirSync(runs);
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret.txt'), 'secret');
  writeFileSync(join(outside, 'secret.json'), JSON.stringify({ api_key: 'hunter2' }));
  writeFileSync(join(outside, 'events.jsonl'), golden);

  makeRun(join(runs, 'good'));
  // 1. a run folder that is itself a link to a run elsewhere
  makeRun(join(outside, 'elsewhere-run'));
  symlinkSync(join(outside, 'elsewhere-run'), join(runs, 'linked-run'));
  // 2. a run whose checkpoints folder links elsewhere
  makeRun(join(runs, 'ck-linked'), []);
  rmSync(join(runs, 'ck-linked', 'checkpoints'), { recursive: true });
  mkdirSync(join(outside, 'ckpts'));
  makeCheckpoint(join(outside, 'ckpts', 'step-000001'), 1);
  symlinkSync(join(outside, 'ckpts'), join(runs, 'ck-linked', 'checkpoints'));
  // 3. linked files: events.jsonl, run.json and train.log, a weight file, a checkpoint folder
  makeRun(join(runs, 'files-linked'), [3]);
  for (const [name, target] of [['events.jsonl', 'events.jsonl'], ['run.json', 'secret.json'], ['train.log', 'secret.txt']]) {
    rmSync(join(runs, 'files-linked', name!));
    symlinkSync(join(outside, target!), join(runs, 'files-linked', name!));
  }
  const weight = join(runs, 'files-linked', 'checkpoints', 'step-000003', 'adapter', 'adapter_model.safetensors');
  rmSync(weight);
  writeFileSync(join(outside, 'weights.bin'), Buffer.alloc(64));
  symlinkSync(join(outside, 'weights.bin'), weight);
  makeCheckpoint(join(outside, 'step-000004'), 4);
  symlinkSync(join(outside, 'step-000004'), join(runs, 'files-linked', 'checkpoints', 'step-000004'));
  // 4. a live run (this test process stands in for its trainer)
  makeRun(join(runs, 'live'), []);
  writeFileSync(join(runs, 'live', 'events.jsonl'), golden.split('\n').slice(0, 2).join('\n') + '\n');
  const live = { pid: process.pid, pgid: null, start_time: await processStartTime(process.pid), launched_at: Date.now() / 1000, argv: ['python'], platform: process.platform, launcher: 'torch' };
  writeFileSync(join(runs, 'live', 'process.json'), JSON.stringify(live));

  ctx = createApiContext({ mode: 'browser', appRoot: join(__dirname, '..', '..'), runsRoot: runs, dataDir: join(base, 'data'), version: '0.0.0' });
  server = await startServer({ ctx, rendererDir: join(base, 'no-renderer') });
});
afterAll(async () => {
  await server.close();
  await ctx.shutdown();
  rmSync(base, { recursive: true, force: true });
});

async function call(name: string, body: unknown): Promise<{ status: number; json: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const res = await fetch(`http://127.0.0.1:${server.port}/api/${name}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-tunedesk-token': server.token },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

function expectRefused(answer: { status: number; json: any }, status: number, code: string) { // eslint-disable-line @typescript-eslint/no-explicit-any
  expect(answer.status, JSON.stringify(answer.json)).toBe(status);
  expect(answer.json.error.code).toBe(code);
  expect(answer.json.error.message.length).toBeGreaterThan(10);
}

describe('a run folder that is a link out of the runs root', () => {
  it('is refused by history, get, checkpoints, compare, export, try and resume (403 path_refused)', async () => {
    expectRefused(await call('runs.history', { runId: 'linked-run' }), 403, 'path_refused');
    expectRefused(await call('runs.get', { runId: 'linked-run' }), 403, 'path_refused');
    expectRefused(await call('checkpoints.list', { runId: 'linked-run' }), 403, 'path_refused');
    expectRefused(await call('runs.compare', { runIds: ['good', 'linked-run'] }), 403, 'path_refused');
    expectRefused(await call('export.start', { runId: 'linked-run' }), 403, 'path_refused');
    expectRefused(await call('export.list', { runId: 'linked-run' }), 403, 'path_refused');
    expectRefused(await call('predict.start', { runId: 'linked-run', prompt: 'hi' }), 403, 'path_refused');
    expectRefused(await call('runs.resume', { runId: 'linked-run' }), 403, 'path_refused');
    expectRefused(await call('checkpoints.delete', { runId: 'linked-run', name: 'step-000002', permanent: true }), 403, 'path_refused');
    expect(existsSync(join(outside, 'elsewhere-run', 'checkpoints', 'step-000002'))).toBe(true);
  });

  it('is not listed, and runs.delete removes the link, never its target', async () => {
    const list = await call('runs.list', {});
    expect(list.status).toBe(200);
    expect(list.json.value.runs.map((r: { runId: string }) => r.runId)).not.toContain('linked-run');
    const answer = await call('runs.delete', { runId: 'linked-run', permanent: true });
    expect(answer.status).toBe(200);
    expect(existsSync(join(runs, 'linked-run'))).toBe(false);
    expect(existsSync(join(outside, 'elsewhere-run', 'run.json'))).toBe(true);
  });
});

describe('a checkpoints folder that is a link', () => {
  it('is never listed, resumed, exported, tried or deleted through', async () => {
    expectRefused(await call('checkpoints.list', { runId: 'ck-linked' }), 403, 'path_refused');
    const listed = (await call('runs.list', {})).json.value.runs.find((r: { runId: string }) => r.runId === 'ck-linked');
    expect(listed.checkpoints).toEqual([]);
    expectRefused(await call('export.start', { runId: 'ck-linked' }), 404, 'not_found');
    expectRefused(await call('export.start', { runId: 'ck-linked', checkpoint: 'step-000001' }), 404, 'not_found');
    expectRefused(await call('predict.start', { runId: 'ck-linked', prompt: 'hi' }), 404, 'not_found');
    expectRefused(await call('runs.resume', { runId: 'ck-linked' }), 404, 'not_found');
    // The reported attack: deleting "a checkpoint" that lives outside every allowed folder.
    expectRefused(await call('checkpoints.delete', { runId: 'ck-linked', name: 'step-000001', permanent: true }), 403, 'path_refused');
    expect(existsSync(join(outside, 'ckpts', 'step-000001', 'manifest.json'))).toBe(true);
  });
});

describe('linked files inside a run', () => {
  it('are not read: events, run.json and train.log through links stay unread', async () => {
    expectRefused(await call('runs.history', { runId: 'files-linked' }), 403, 'path_refused');
    expectRefused(await call('runs.compare', { runIds: ['good', 'files-linked'] }), 403, 'path_refused');
    const got = await call('runs.get', { runId: 'files-linked' });
    expect(got.status).toBe(200);
    expect(JSON.stringify(got.json)).not.toContain('hunter2');
    expect(JSON.stringify(got.json)).not.toContain('secret');
    expect(got.json.value.run.problems.join('\n')).toMatch(/link to outside/);
  });

  it('make a checkpoint unusable (a linked weight file) or unlisted (a linked checkpoint folder)', async () => {
    const { json } = await call('checkpoints.list', { runId: 'files-linked' });
    expect(json.value.checkpoints.map((c: { name: string; complete: boolean }) => [c.name, c.complete])).toEqual([['step-000003', false]]);
    expect(json.value.checkpoints[0].problem).toMatch(/symbolic link/);
    expectRefused(await call('export.start', { runId: 'files-linked', checkpoint: 'step-000003' }), 404, 'not_found');
    expectRefused(await call('runs.resume', { runId: 'files-linked' }), 403, 'path_refused'); // its run.json is a link
  });

  it('deleting a linked checkpoint folder removes the link only', async () => {
    const answer = await call('checkpoints.delete', { runId: 'files-linked', name: 'step-000004', permanent: true });
    expect(answer.status).toBe(200);
    expect(() => lstatSync(join(runs, 'files-linked', 'checkpoints', 'step-000004'))).toThrow();
    expect(existsSync(join(outside, 'step-000004', 'manifest.json'))).toBe(true);
    // Deleting the checkpoint with the linked weight removes the folder and the link in it, never the target.
    expect((await call('checkpoints.delete', { runId: 'files-linked', name: 'step-000003', permanent: true })).status).toBe(200);
    expect(readFileSync(join(outside, 'weights.bin')).length).toBe(64);
  });
});

describe('refusals are 4xx with a code and a message, never 500', () => {
  it('a checkpoint name with ".." → 400; a missing one → 404', async () => {
    expectRefused(await call('checkpoints.delete', { runId: 'good', name: '../../outside', permanent: true }), 400, 'invalid_request');
    expectRefused(await call('checkpoints.delete', { runId: 'good', name: '..', permanent: true }), 400, 'invalid_request');
    expectRefused(await call('checkpoints.delete', { runId: 'good', name: 'step-000099', permanent: true }), 404, 'not_found');
    expectRefused(await call('runs.delete', { runId: 'no-such-run', permanent: true }), 404, 'not_found');
    expectRefused(await call('runs.history', { runId: '..' }), 400, 'invalid_request');
    expect(existsSync(join(outside, 'secret.txt'))).toBe(true);
  });

  it('deleting a running run → 409 conflict, and the run is still there', async () => {
    expectRefused(await call('runs.delete', { runId: 'live', permanent: true }), 409, 'conflict');
    expect(existsSync(join(runs, 'live', 'run.json'))).toBe(true);
  });
});
