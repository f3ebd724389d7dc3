// The curated list: real parameter counts from the repos' config numbers, and which methods fit
// decided by the recommender for the machine at hand.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoIdSchema } from '../../electron/shared/contract/hub';
import { catalog, CURATED } from '../../electron/services/hub/catalog';
import { cipherIsSecure, EncryptedFileSecretStore, type SecretCipher } from '../../electron/services/hub/encrypted-secret-store';
import { hubEndpoint, setHubEndpoint } from '../../electron/services/hub/endpoint';
import { outcomeFrom, pullArgv } from '../../electron/services/hub/pull-runner';
import { CPU_ONLY, gpuBudget } from '../helpers/recommend-fixtures';

const tmp = mkdtempSync(join(tmpdir(), 'tunedesk-hub-unit-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('hub catalog', () => {
  it('lists instruct models in several sizes, ChatGLM3 and GLM-4 among them, with their published sizes', () => {
    const entries = catalog(gpuBudget(24));
    const params = Object.fromEntries(entries.map((e) => [e.repoId, e.params / 1e9]));
    // Published parameter counts (model cards): 0.49B, 1.54B, 3.09B, 7.62B, 1.24B, 3.21B, 6.24B, 9.4B.
    expect(params['Qwen/Qwen2.5-0.5B-Instruct']).toBeCloseTo(0.494, 2);
    expect(params['Qwen/Qwen2.5-1.5B-Instruct']).toBeCloseTo(1.54, 1);
    expect(params['Qwen/Qwen2.5-7B-Instruct']).toBeCloseTo(7.62, 1);
    expect(params['meta-llama/Llama-3.2-1B-Instruct']).toBeCloseTo(1.24, 1);
    expect(params['meta-llama/Llama-3.2-3B-Instruct']).toBeCloseTo(3.21, 1);
    expect(params['THUDM/chatglm3-6b']).toBeCloseTo(6.24, 1);
    expect(params['THUDM/glm-4-9b-chat-hf']).toBeCloseTo(9.4, 0);
    expect(entries.filter((e) => e.gated).map((e) => e.repoId)).toEqual(['meta-llama/Llama-3.2-1B-Instruct', 'meta-llama/Llama-3.2-3B-Instruct']);
    for (const entry of CURATED) expect(repoIdSchema.safeParse(entry.repoId).success).toBe(true);
  });

  it('says which methods fit: the machine decides', () => {
    const verdict = (budget: Parameters<typeof catalog>[0], repo: string, method: string) =>
      catalog(budget).find((e) => e.repoId === repo)?.fits.find((f) => f.method === method)?.verdict;
    expect(verdict(gpuBudget(80), 'Qwen/Qwen2.5-0.5B-Instruct', 'full')).toBe('fits');
    expect(verdict(gpuBudget(8), 'Qwen/Qwen2.5-7B-Instruct', 'full')).toBe('does-not-fit');
    expect(verdict(gpuBudget(8), 'Qwen/Qwen2.5-7B-Instruct', 'lora')).toBe('does-not-fit');
    expect(verdict(gpuBudget(24), 'Qwen/Qwen2.5-1.5B-Instruct', 'lora')).toBe('fits');
    // Same model, bigger card: more fits, never fewer.
    const rank = { fits: 0, tight: 1, 'does-not-fit': 2, unavailable: 3 } as const;
    const small = catalog(gpuBudget(12));
    const big = catalog(gpuBudget(80));
    small.forEach((entry, i) => entry.fits.forEach((f, j) => expect(rank[big[i]!.fits[j]!.verdict]).toBeLessThanOrEqual(rank[f.verdict])));
    expect(catalog(CPU_ONLY).length).toBe(CURATED.length);
  });
});

describe('repo ids and the pull command line', () => {
  it('refuses what is not a repo id', () => {
    for (const bad of ['../etc', 'a/b/c', 'org--x/name', '-x/y', 'x/..', '', 'a b/c']) expect(repoIdSchema.safeParse(bad).success, bad).toBe(false);
    for (const good of ['gpt2', 'Qwen/Qwen2.5-0.5B-Instruct', 'THUDM/chatglm3-6b']) expect(repoIdSchema.safeParse(good).success, good).toBe(true);
  });

  it('never puts the token on the command line', () => {
    const argv = pullArgv({ repoId: 'o/n', revision: 'main', dataDir: '/d', endpoint: 'https://x', token: 'hf_secret_value' });
    expect(argv.join(' ')).not.toContain('hf_secret_value');
    expect(argv).toContain('--token-stdin');
    expect(pullArgv({ repoId: 'o/n', revision: 'main', dataDir: '/d', endpoint: 'https://x' })).not.toContain('--token-stdin');
  });

  it('turns the last JSON line into the outcome; a crash says what stderr said last', () => {
    expect(outcomeFrom({ ok: false, error: { kind: 'auth', message: 'gated', hint: 'token' } }, [], 1, false)).toEqual({ status: 'failed', error: { kind: 'auth', message: 'gated', hint: 'token' } });
    expect(outcomeFrom({ ok: false, error: { kind: 'interrupted', message: 'x', hint: 'y' } }, [], 130, false)).toEqual({ status: 'cancelled' });
    const crashed = outcomeFrom(null, ['Traceback', 'MemoryError'], 1, false);
    expect(crashed.status === 'failed' && crashed.error.message).toContain('MemoryError');
  });
});

describe('the token store and the endpoint setting', () => {
  // Reversible but not plain: enough to show the store writes only what the cipher gives it.
  const cipher: SecretCipher = {
    isEncryptionAvailable: () => true,
    encryptString: (s) => Buffer.from(Buffer.from(s, 'utf8').map((b) => b ^ 0x5a)),
    decryptString: (b) => Buffer.from(b.map((x) => x ^ 0x5a)).toString('utf8'),
  };

  it('keeps only ciphertext on disk, owner-only, and forgets on null', async () => {
    const store = new EncryptedFileSecretStore(join(tmp, 'data'), cipher);
    await store.set('hub-token', 'hf_plain_secret');
    const files = readdirSync(join(tmp, 'data', 'secrets'));
    const bytes = readFileSync(join(tmp, 'data', 'secrets', files[0]!));
    expect(bytes.toString('latin1')).not.toContain('hf_plain_secret');
    expect(await store.get('hub-token')).toBe('hf_plain_secret');
    await store.set('hub-token', null);
    expect(await store.get('hub-token')).toBeNull();
  });

  it("does not count Linux's hard-coded-key fallback as secret storage", () => {
    expect(cipherIsSecure({ ...cipher, getSelectedStorageBackend: () => 'basic_text' }, 'linux')).toBe(false);
    expect(cipherIsSecure({ ...cipher, getSelectedStorageBackend: () => 'gnome_libsecret' }, 'linux')).toBe(true);
    expect(cipherIsSecure({ ...cipher, isEncryptionAvailable: () => false }, 'darwin')).toBe(false);
    expect(cipherIsSecure(undefined)).toBe(false);
  });

  it('HF_ENDPOINT wins over the setting, which wins over huggingface.co', async () => {
    const dataDir = join(tmp, 'endpoint');
    expect(await hubEndpoint(dataDir, {})).toEqual({ endpoint: 'https://huggingface.co', source: 'default' });
    expect(await setHubEndpoint(dataDir, 'https://hf-mirror.com/', {})).toEqual({ endpoint: 'https://hf-mirror.com', source: 'settings' });
    expect(await hubEndpoint(dataDir, { HF_ENDPOINT: 'http://127.0.0.1:9' })).toEqual({ endpoint: 'http://127.0.0.1:9', source: 'env' });
    expect(await setHubEndpoint(dataDir, null, {})).toEqual({ endpoint: 'https://huggingface.co', source: 'default' });
  });
});
