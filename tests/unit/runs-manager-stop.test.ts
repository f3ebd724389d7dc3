// The run manager's stop on a process TREE, with a stand-in for the trainer's interpreter that
// spawns a child and a grandchild and ignores the STOP file (tests/fixtures/fake-processes).
// What training does is tested with the real trainer in tests/integration/runs-lifecycle.test.ts.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listRuns } from '../../electron/services/runs/run-list';
import { groupMembersLinux, isPidAlive } from '../../electron/services/runs/process-tree';
import { readProcessInfo } from '../../electron/services/runs/run-files';
import { RunManager } from '../../electron/services/runs/run-manager';
import { killLeftoverRuns } from '../helpers/runs-cleanup';

const fakePython = join(__dirname, '..', 'fixtures', 'fake-processes', 'fake-python.sh');

describe.runIf(process.platform === 'linux')('run manager stop on a process tree', () => {
  let root = '';
  afterEach(() => {
    killLeftoverRuns(root);
    // maxRetries: a manager may still be releasing its run's lock in the runs root this instant.
    rmSync(root, { recursive: true, force: true, maxRetries: 5 });
  });

  async function waitForFile(path: string) {
    for (let i = 0; i < 200 && !existsSync(path); i++) await new Promise((r) => setTimeout(r, 25));
  }

  it('leaves no process of the run after stop, records it as cancelled, and starts the queued run', async () => {
    root = mkdtempSync(join(tmpdir(), 'tunedesk-stop-'));
    const manager = new RunManager({
      runsRoot: root,
      python: fakePython,
      telemetry: null,
      env: { TUNEDESK_TEST_NODE: process.execPath },
      stop: { cooperativeMs: 300, termMs: 3000 },
    });
    await manager.init();
    await manager.start({ train_type: 'lora' }, { runId: 'tree' });
    const next = await manager.start({ train_type: 'lora' }, { runId: 'next' });
    expect(next.status).toBe('queued');
    await waitForFile(join(root, 'tree', 'grandchild.pid'));
    const info = (await readProcessInfo(join(root, 'tree')))!;
    const descendants = ['child.pid', 'grandchild.pid'].map((f) => Number(readFileSync(join(root, 'tree', f), 'utf8')));
    expect(groupMembersLinux(info.pgid!).sort()).toEqual([info.pid, ...descendants].sort());

    expect(await manager.stop('tree')).toBe('sigterm');
    expect(groupMembersLinux(info.pgid!)).toEqual([]);
    for (const pid of [info.pid, ...descendants]) expect(isPidAlive(pid)).toBe(false);
    expect(manager.get('tree')!.status).toBe('cancelled');
    const events = readFileSync(join(root, 'tree', 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(events.at(-1)).toMatchObject({ type: 'run_finished', status: 'cancelled', ended_by: 'sigterm' });
    expect(readFileSync(join(root, 'tree', 'train.log'), 'utf8')).toMatch(/spawned child/); // stdout went to train.log

    // The queued run started once the set was free; stopping it the same way leaves nothing either.
    for (let i = 0; i < 200 && manager.get('next')!.status === 'queued'; i++) await new Promise((r) => setTimeout(r, 25));
    expect(manager.get('next')!.status).toBe('running');
    await waitForFile(join(root, 'next', 'grandchild.pid'));
    const nextInfo = (await readProcessInfo(join(root, 'next')))!;
    await manager.stop('next');
    expect(groupMembersLinux(nextInfo.pgid!)).toEqual([]);
    await manager.close();

    const listed = Object.fromEntries((await listRuns(root)).map((r) => [r.runId, r.status]));
    expect(listed).toEqual({ tree: 'cancelled', next: 'cancelled' });
  });

  it('a second manager (e.g. the CLI) stops a run that another one started', async () => {
    root = mkdtempSync(join(tmpdir(), 'tunedesk-stop-'));
    const options = { runsRoot: root, python: fakePython, telemetry: null, env: { TUNEDESK_TEST_NODE: process.execPath }, stop: { cooperativeMs: 200, termMs: 3000 } };
    const app = new RunManager(options);
    await app.init();
    await app.start({ train_type: 'lora' }, { runId: 'shared' });
    await waitForFile(join(root, 'shared', 'grandchild.pid'));
    await app.close(); // the app goes away; the run goes on
    const info = (await readProcessInfo(join(root, 'shared')))!;
    expect(isPidAlive(info.pid)).toBe(true);

    const cli = new RunManager(options);
    expect((await cli.init()).map((s) => s.runId)).toEqual(['shared']);
    expect(await cli.stop('shared')).toBe('sigterm');
    expect(groupMembersLinux(info.pgid!)).toEqual([]);
    expect(cli.get('shared')!.status).toBe('cancelled');
    await cli.close();
  });

  it('keeps a queue across restarts: the app adopts queued runs, a CLI manager only withdraws them', async () => {
    root = mkdtempSync(join(tmpdir(), 'tunedesk-stop-'));
    const options = { runsRoot: root, python: fakePython, telemetry: null, env: { TUNEDESK_TEST_NODE: process.execPath }, stop: { cooperativeMs: 200, termMs: 3000 } };
    const first = new RunManager(options);
    await first.init();
    await first.start({ train_type: 'lora' }, { runId: 'x' });
    await first.start({ train_type: 'lora' }, { runId: 'y' });
    await first.start({ train_type: 'lora' }, { runId: 'z' });
    await first.close();
    await waitForFile(join(root, 'x', 'grandchild.pid'));

    const cli = new RunManager(options);
    expect((await cli.init()).map((s) => s.runId)).toEqual(['x']); // nothing queued is started by a CLI call
    expect(await cli.stop('y')).toBe('dequeued');
    await cli.close();
    expect(existsSync(join(root, 'y', 'process.json'))).toBe(false);

    const app = new RunManager(options);
    const attached = await app.init({ adoptQueued: true });
    expect(attached.map((s) => [s.runId, s.status])).toEqual([['x', 'running'], ['z', 'queued']]);
    await app.stop('x');
    for (let i = 0; i < 200 && app.get('z')!.status === 'queued'; i++) await new Promise((r) => setTimeout(r, 25));
    expect(app.get('z')!.status).toBe('running');
    await app.stop('z');
    await app.close();
    const listed = Object.fromEntries((await listRuns(root)).map((r) => [r.runId, r.status]));
    expect(listed).toEqual({ x: 'cancelled', y: 'cancelled', z: 'cancelled' });
  });
});
