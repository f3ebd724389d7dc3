// Hub downloads end to end against a local fake of the Hub (python-runtime/tests/helpers/fake_hub.py; no
// network here): the runner's progress and outcome, one download at a time, cancel then resume,
// the token from the secret store (a gated repo), and `npx tunedesk pull`.
import { execa, type ResultPromise } from 'execa';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PullProgress } from '../../electron/shared/contract/hub';
import { listDownloads } from '../../electron/services/hub/downloads';
import { runPull, type PullStep } from '../../electron/services/hub/pull-runner';
import { PullBusyError, PullManager } from '../../electron/services/hub/pull-service';
import { HUB_TOKEN, MemorySecretStore } from '../../electron/services/hub/secret-store';
import { REPO_ROOT, RUNTIME_DIR, trainerPythonPath } from '../../electron/services/python-env/trainer-python';

const tmp = mkdtempSync(join(tmpdir(), 'tunedesk-hub-int-'));
// An empty HF_HOME: no token or cache of the user's can leak into these tests.
const ENV = { HF_HOME: join(tmp, 'hf-home'), HF_TOKEN: '', PYTHONPATH: RUNTIME_DIR };
let server: ResultPromise | null = null;
let endpoint = '';

beforeAll(async () => {
  server = execa(trainerPythonPath(), [join(RUNTIME_DIR, 'tests', 'helpers', 'fake_hub.py')], { reject: false, buffer: false });
  endpoint = await new Promise<string>((resolve, reject) => {
    let text = '';
    server!.stdout!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const line = text.split('\n')[0];
      if (text.includes('\n') && line) resolve(`http://127.0.0.1:${(JSON.parse(line) as { port: number }).port}`);
    });
    setTimeout(() => reject(new Error('the fake Hub did not start')), 30_000);
  });
}, 40_000);

afterAll(() => {
  server?.kill();
  rmSync(tmp, { recursive: true, force: true });
});

const requests = async () => (await (await fetch(`${endpoint}/_log`)).json()) as Array<{ method: string; path: string; file?: string; range: string | null }>;

describe('tunedesk pull through the services', () => {
  it('downloads safetensors and config only, reporting progress, into <data>/models/<org>--<name>', async () => {
    const dataDir = join(tmp, 'plain');
    const steps: PullStep[] = [];
    const outcome = await runPull({ repoId: 'tiny/model', revision: 'main', dataDir, endpoint }, { env: ENV, onStep: (s) => steps.push(s) });
    expect(outcome.status, JSON.stringify(outcome)).toBe('completed');
    if (outcome.status !== 'completed') return;
    expect(outcome.modelDir).toBe(join(dataDir, 'models', 'tiny--model'));
    expect(outcome.commit).toBe('1'.repeat(40));
    expect(readdirSync(outcome.modelDir).sort()).toEqual(['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'tunedesk-pull.json']);
    expect(steps.at(-1)?.bytesDone).toBe(steps.at(-1)?.bytesTotal);
    expect(steps.at(-1)?.bytesTotal).toBe(outcome.bytes);
    const models = await listDownloads(dataDir);
    expect(models).toEqual([expect.objectContaining({ repoId: 'tiny/model', complete: true, commit: '1'.repeat(40) })]);
  }, 60_000);

  it('runs one download at a time; a cancelled one is listed as partial and resumes with a Range request', async () => {
    const dataDir = join(tmp, 'resume');
    const events: PullProgress[] = [];
    const manager = new PullManager({ dataDir, secrets: new MemorySecretStore(), endpoint: () => Promise.resolve(endpoint), publish: (p) => events.push(p), runOptions: { env: ENV } });
    const first = await manager.start({ repoId: 'tiny/big', revision: 'main', allowPickle: false });
    await expect(manager.start({ repoId: 'tiny/model', revision: 'main', allowPickle: false })).rejects.toBeInstanceOf(PullBusyError);
    // Cancel once a good part of the 6 MiB file is here.
    await waitFor(() => events.some((e) => e.bytesDone > 1_500_000 && e.bytesDone < e.bytesTotal), 60_000);
    expect(manager.running()?.repoId).toBe('tiny/big');
    expect(manager.cancel(first.jobId)).toBe(true);
    expect(await first.done).toEqual({ status: 'cancelled' });
    expect(events.at(-1)).toMatchObject({ phase: 'done', outcome: { status: 'cancelled' } });
    expect(manager.running()).toBeNull();
    const partial = (await listDownloads(dataDir))[0];
    expect(partial).toMatchObject({ repoId: 'tiny/big', complete: false });
    expect(partial!.bytesDone).toBeGreaterThan(1_000_000);
    expect(existsSync(join(dataDir, 'models', 'tiny--big'))).toBe(false);

    const second = await manager.start({ repoId: 'tiny/big', revision: 'main', allowPickle: false });
    const outcome = await second.done;
    expect(outcome.status, JSON.stringify(outcome)).toBe('completed');
    const resumed = (await requests()).filter((r) => r.file === 'model.safetensors' && r.path.includes('tiny/big') && r.range);
    expect(Number(resumed.at(-1)?.range?.match(/bytes=(\d+)-/)?.[1])).toBeGreaterThanOrEqual(1_000_000);
    expect(await listDownloads(dataDir)).toEqual([expect.objectContaining({ repoId: 'tiny/big', complete: true })]);
  }, 120_000);

  it('a gated repo fails with a token request, then works with the token from the secret store', async () => {
    const dataDir = join(tmp, 'gated');
    const secrets = new MemorySecretStore();
    const manager = new PullManager({ dataDir, secrets, endpoint: () => Promise.resolve(endpoint), publish: () => undefined, runOptions: { env: ENV } });
    const refused = await (await manager.start({ repoId: 'tiny/gated', revision: 'main', allowPickle: false })).done;
    expect(refused).toMatchObject({ status: 'failed', error: { kind: 'auth' } });
    expect(refused.status === 'failed' && refused.error.hint).toMatch(/token/);
    await secrets.set(HUB_TOKEN, 'hf_test_token');
    const done = await (await manager.start({ repoId: 'tiny/gated', revision: 'main', allowPickle: false })).done;
    expect(done.status, JSON.stringify(done)).toBe('completed');
  }, 60_000);

  it('a bad repo id says so', async () => {
    const outcome = await runPull({ repoId: 'nobody/nothing', revision: 'main', dataDir: join(tmp, 'bad'), endpoint }, { env: ENV });
    expect(outcome).toMatchObject({ status: 'failed', error: { kind: 'not_found' } });
  }, 60_000);
});

describe('npx tunedesk pull', () => {
  it('downloads, then finds the model complete on a second run', async () => {
    const dataDir = join(tmp, 'cli');
    const cli = (args: string[]) =>
      execa(process.execPath, [join(REPO_ROOT, 'electron', 'cli', 'bin.mjs'), 'pull', ...args, '--data-dir', dataDir], { reject: false, env: { ...ENV, HF_ENDPOINT: endpoint } });
    const first = await cli(['tiny/model']);
    expect(first.exitCode, first.stderr).toBe(0);
    expect(first.stdout).toContain(`done: ${join(dataDir, 'models', 'tiny--model')}`);
    const again = await cli(['tiny/model', '--json']);
    expect(again.exitCode).toBe(0);
    expect(JSON.parse(again.stdout.trim().split('\n').at(-1)!)).toMatchObject({ status: 'completed', alreadyComplete: true });
    const gated = await cli(['tiny/gated']);
    expect(gated.exitCode).toBe(1);
    expect(gated.stderr).toMatch(/gated model[\s\S]*what to do: .*token/);
  }, 90_000);
});

async function waitFor(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}
