// Where the Hub access token lives. Services never import electron: the desktop app implements
// this interface with Electron's safeStorage (electron/main/safe-storage-secrets.ts: encrypted by
// the OS keychain/DPAPI/libsecret); browser mode and the tests use the memory store, which keeps
// the token until the process ends and says so. No store ever writes a token in plain text.

export interface SecretStore {
  /** 'os': encrypted on disk by the OS's secret storage; 'memory': never written anywhere. */
  readonly storage: 'os' | 'memory';
  get(name: string): Promise<string | null>;
  /** null forgets the secret. */
  set(name: string, value: string | null): Promise<void>;
}

export class MemorySecretStore implements SecretStore {
  readonly storage = 'memory' as const;
  private readonly values = new Map<string, string>();

  get(name: string): Promise<string | null> {
    return Promise.resolve(this.values.get(name) ?? null);
  }

  set(name: string, value: string | null): Promise<void> {
    if (value === null) this.values.delete(name);
    else this.values.set(name, value);
    return Promise.resolve();
  }
}

export const HUB_TOKEN = 'hub-token';

export function tokenNote(storage: SecretStore['storage']): string {
  return storage === 'os'
    ? "Encrypted with this computer's secret storage (Electron safeStorage); never written in plain text."
    : 'Browser mode keeps the token in memory only: it is forgotten when the server stops (nothing is written to disk).';
}
