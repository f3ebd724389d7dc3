// A SecretStore that keeps each secret as ciphertext in <data dir>/secrets/<name>.bin (owner-only
// permissions), encrypted by a cipher the host supplies: Electron's safeStorage in the desktop app
// (electron/main/main.ts), which uses the OS keychain / DPAPI / libsecret. This file never imports
// electron; the tests give it a stand-in cipher.
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SecretStore } from './secret-store';

/** The part of Electron's safeStorage this store needs. */
export interface SecretCipher {
  isEncryptionAvailable(): boolean;
  encryptString(plain: string): Buffer;
  decryptString(encrypted: Buffer): string;
  /** Linux only: 'basic_text' means no real keyring (a hard-coded key): not secret storage. */
  getSelectedStorageBackend?(): string;
}

/** True when the cipher really protects secrets (not Linux's hard-coded-key fallback). */
export function cipherIsSecure(cipher: SecretCipher | undefined, platform: NodeJS.Platform = process.platform): cipher is SecretCipher {
  if (!cipher?.isEncryptionAvailable()) return false;
  if (platform === 'linux' && cipher.getSelectedStorageBackend?.() === 'basic_text') return false;
  return true;
}

const SAFE_NAME = /^[a-z0-9-]{1,64}$/;

export class EncryptedFileSecretStore implements SecretStore {
  readonly storage = 'os' as const;
  private readonly dir: string;

  constructor(
    dataDir: string,
    private readonly cipher: SecretCipher,
  ) {
    this.dir = join(dataDir, 'secrets');
  }

  private file(name: string): string {
    if (!SAFE_NAME.test(name)) throw new Error(`bad secret name ${JSON.stringify(name)}`);
    return join(this.dir, `${name}.bin`);
  }

  async get(name: string): Promise<string | null> {
    let data: Buffer;
    try {
      data = await readFile(this.file(name));
    } catch {
      return null;
    }
    try {
      return this.cipher.decryptString(data);
    } catch {
      return null; // encrypted by another user or machine: as if none were stored
    }
  }

  async set(name: string, value: string | null): Promise<void> {
    const file = this.file(name);
    if (value === null) {
      await rm(file, { force: true });
      return;
    }
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, this.cipher.encryptString(value), { mode: 0o600 });
    await rename(tmp, file);
  }
}
