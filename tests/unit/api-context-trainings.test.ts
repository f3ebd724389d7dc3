// The context's run manager and trainings: the quit guard (electron/main/quit-guard.ts, the
// browser server's Ctrl+C) asks ctx.trainings, and must see a training that another process
// started (here a second RunManager, as the CLI would) even when no runs call came first.
// The "trainer" is the process-tree fixture (tests/fixtures/fake-processes), not a trainer: what
// is tested is re-attachment, which needs only a live process and its process.json.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createApiContext, type ApiContext } from '../../electron/api/context';
import { REPO_ROOT } from '../../electron/services/python-env/trainer-python';
import { RunManager } from '../../electron/services/runs/run-manager';
import { killLeftoverRuns } from '../helpers/runs-cleanup';

const fakePython = join(__dirname, '..', 'fixtures', 'fake-processes', 'fake-python.sh');

describe.runIf(process.platform === 'linux')('the context knows the trainings from its creation', () => {
  let dir = '';
  let ctx: ApiContext | null = null;
  let other: RunManager | null = null;
  afterEach(async () => {
    await ctx?.shutdown();
    await other?.close();
    killLeftoverRuns(join(dir, 'runs'));
    rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
    ctx = null;
    other = null;
  });

  it('a fresh context with no runs call reports a training started by another manager, and gives it up once it ended', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tunedesk-ctx-trainings-'));
    const runsRoot = join(dir, 'runs');
    other = new RunManager({
      runsRoot,
      python: fakePython,
      telemetry: null,
      env: { TUNEDESK_TEST_NODE: process.execPath },
      stop: { cooperativeMs: 300, termMs: 3000 },
    });
    await other.init();
    await other.start({ train_type: 'lora' }, { runId: 'elsewhere' });
    for (let i = 0; i < 200 && !existsSync(join(runsRoot, 'elsewhere', 'grandchild.pid')); i++) await new Promise((r) => setTimeout(r, 25));

    ctx = createApiContext({ mode: 'browser', runsRoot, dataDir: join(dir, 'data'), appRoot: REPO_ROOT });
    // No dispatch, no ctx.runs(): the quit guard's first question.
    expect(await ctx.trainings.running()).toEqual([{ runId: 'elsewhere', label: expect.stringMatching(/^elsewhere \(step \d+/) }]);
    // The same manager answers the runs calls (one per host).
    expect(await ctx.runs()).toBe(await ctx.runs());
    expect((await ctx.runs()).get('elsewhere')?.status).toBe('running');

    await other.stop('elsewhere');
    // The context's manager notices the process is gone (it polls liveness every 2 s).
    let left = await ctx.trainings.running();
    for (let i = 0; i < 60 && left.length > 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      left = await ctx.trainings.running();
    }
    expect(left).toEqual([]);
  }, 30_000);

  it('answers for an empty runs root without a prior call', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tunedesk-ctx-trainings-'));
    ctx = createApiContext({ mode: 'browser', runsRoot: join(dir, 'runs'), dataDir: join(dir, 'data'), appRoot: REPO_ROOT });
    expect(await ctx.trainings.running()).toEqual([]);
  });
});
