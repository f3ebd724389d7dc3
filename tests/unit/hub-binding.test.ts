// The Hub calls through the real dispatcher: the token is stored (memory in browser mode, the
// host's secret store when it has one) and never answered back; bad repo ids are refused by the
// schema; the endpoint setting round-trips; the downloads list reads <data dir>/models.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createApiContext } from '../../electron/api/context';
import { dispatch } from '../../electron/api/dispatch';
import { MemorySecretStore, type SecretStore } from '../../electron/services/hub/secret-store';
import { REPO_ROOT } from '../../electron/services/python-env/trainer-python';

const root = mkdtempSync(join(tmpdir(), 'tunedesk-hub-binding-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const contextWith = (name: string, secrets?: SecretStore) =>
  createApiContext({ mode: secrets ? 'electron' : 'browser', runsRoot: join(root, name, 'runs'), dataDir: join(root, name), appRoot: REPO_ROOT, ...(secrets ? { secrets } : {}) });

describe('hub calls', () => {
  it('stores the token without ever answering it back; browser mode says it is memory only', async () => {
    const ctx = contextWith('browser');
    const before = await dispatch(ctx, 'hub.tokenStatus', {});
    expect(before).toMatchObject({ ok: true, value: { stored: false, storage: 'memory' } });
    const saved = await dispatch(ctx, 'hub.setToken', { token: 'hf_abcdefgh12345' });
    expect(saved).toMatchObject({ ok: true, value: { stored: true, storage: 'memory' } });
    expect(JSON.stringify(saved)).not.toContain('hf_abcdefgh12345');
    expect((saved as { value: { note: string } }).value.note).toMatch(/memory only/);
    expect(await dispatch(ctx, 'hub.setToken', { token: 'two words' })).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    expect(await dispatch(ctx, 'hub.setToken', { token: null })).toMatchObject({ ok: true, value: { stored: false } });
    await ctx.shutdown();
  });

  it("uses the host's secret store when it has one", async () => {
    const secrets: SecretStore = Object.assign(new MemorySecretStore(), { storage: 'os' as const });
    const ctx = contextWith('desktop', secrets);
    await dispatch(ctx, 'hub.setToken', { token: 'hf_abcdefgh12345' });
    expect(await secrets.get('hub-token')).toBe('hf_abcdefgh12345');
    expect(await dispatch(ctx, 'hub.tokenStatus', {})).toMatchObject({ ok: true, value: { stored: true, storage: 'os' } });
    await ctx.shutdown();
  });

  it('refuses what is not a repo id before anything runs', async () => {
    const ctx = contextWith('bad-ids');
    for (const repoId of ['../../etc', 'a/b/c', 'x--y/z']) {
      expect(await dispatch(ctx, 'hub.pull', { repoId }), repoId).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    }
    await ctx.shutdown();
  });

  it('lists complete and partial downloads, and keeps the endpoint setting', async () => {
    const ctx = contextWith('listing');
    const models = join(root, 'listing', 'models');
    mkdirSync(join(models, 'o--done'), { recursive: true });
    writeFileSync(join(models, 'o--done', 'tunedesk-pull.json'), JSON.stringify({ repo_id: 'o/done', revision: 'main', commit: 'c'.repeat(40), files: [{ name: 'a', size: 10 }] }));
    mkdirSync(join(models, 'o--half.partial', '.incomplete'), { recursive: true });
    writeFileSync(join(models, 'o--half.partial', 'pull-state.json'), JSON.stringify({ repo_id: 'o/half', revision: 'v1', commit: 'd'.repeat(40), total_bytes: 100_000, dest: join(models, 'o--half') }));
    writeFileSync(join(models, 'o--half.partial', '.incomplete', 'model.safetensors.part'), Buffer.alloc(4000));
    mkdirSync(join(models, 'not-ours'));
    const answer = await dispatch(ctx, 'hub.downloads', {});
    expect(answer).toMatchObject({
      ok: true,
      value: {
        running: null,
        models: [
          { repoId: 'o/done', complete: true, bytesTotal: 10 },
          { repoId: 'o/half', revision: 'v1', complete: false, dir: join(models, 'o--half'), bytesTotal: 100_000 },
        ],
      },
    });
    const half = (answer as { value: { models: Array<{ bytesDone: number }> } }).value.models[1]!;
    expect(half.bytesDone).toBeGreaterThanOrEqual(4000);
    if (!process.env.HF_ENDPOINT) {
      expect(await dispatch(ctx, 'hub.setEndpoint', { endpoint: 'https://hf-mirror.com' })).toMatchObject({ ok: true, value: { endpoint: 'https://hf-mirror.com', source: 'settings' } });
      expect(await dispatch(ctx, 'hub.endpoint', {})).toMatchObject({ ok: true, value: { source: 'settings' } });
    }
    expect(await dispatch(ctx, 'hub.setEndpoint', { endpoint: 'file:///etc/passwd' })).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    await ctx.shutdown();
  });
});
