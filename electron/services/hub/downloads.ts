// The models TuneDesk downloaded, read from <data dir>/models: a folder with tunedesk-pull.json is
// complete (the manifest is written last, then the folder renamed into place); a "<name>.partial"
// folder with pull-state.json is a download that stopped and resumes on the next pull.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { DownloadedModel } from '../../shared/contract/hub';

export const MANIFEST = 'tunedesk-pull.json';
export const PULL_STATE = 'pull-state.json';
const PARTIAL_SUFFIX = '.partial';

export const modelsDirOf = (dataDir: string) => join(dataDir, 'models');

/** org/name -> org--name, the folder python -m tunedesk pull writes. */
export const folderNameOf = (repoId: string) => repoId.replace('/', '--');

async function readRecord(file: string): Promise<Record<string, unknown> | null> {
  try {
    const value = JSON.parse(await readFile(file, 'utf8')) as unknown;
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** Bytes under a folder (the partial files included), not following links. */
async function bytesUnder(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += await bytesUnder(path);
    else if (entry.isFile()) total += (await stat(path)).size;
  }
  return total;
}

const str = (v: unknown) => (typeof v === 'string' ? v : '');

export async function listDownloads(dataDir: string): Promise<DownloadedModel[]> {
  const root = modelsDirOf(dataDir);
  const entries = await readdir(root, { withFileTypes: true }).catch(() => []);
  const models: DownloadedModel[] = [];
  for (const entry of entries.filter((e) => e.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    const dir = join(root, entry.name);
    if (entry.name.endsWith(PARTIAL_SUFFIX)) {
      const state = await readRecord(join(dir, PULL_STATE));
      if (!state) continue;
      const total = typeof state.total_bytes === 'number' ? state.total_bytes : 0;
      const done = Math.min(await bytesUnder(dir), total);
      models.push({ repoId: str(state.repo_id), revision: str(state.revision), commit: str(state.commit), dir: str(state.dest) || dir.slice(0, -PARTIAL_SUFFIX.length), complete: false, bytesDone: done, bytesTotal: total });
      continue;
    }
    const manifest = await readRecord(join(dir, MANIFEST));
    if (!manifest) continue; // not a TuneDesk download
    const files = Array.isArray(manifest.files) ? (manifest.files as Array<{ size?: unknown }>) : [];
    const bytes = files.reduce((sum, f) => sum + (typeof f.size === 'number' ? f.size : 0), 0);
    models.push({ repoId: str(manifest.repo_id), revision: str(manifest.revision), commit: str(manifest.commit), dir, complete: true, bytesDone: bytes, bytesTotal: bytes });
  }
  return models;
}
