// What the user picked (system.pickPath) stays allowed across launches: a small JSON file in the
// data folder. A typed path (browser mode) is checked here before it is accepted: it must exist,
// be of the asked kind, and not be a system folder or a secrets folder.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { isWithin, PathRefusedError, type PathGuard } from './path-guard';

export interface PickedPath {
  path: string;
  kind: 'file' | 'directory';
  purpose: string;
}

const FILE_NAME = 'picked-paths.json';

/** Picks recorded by earlier launches; a missing or damaged file means none. */
export function loadPickedPaths(dataDir: string): PickedPath[] {
  const file = join(dataDir, FILE_NAME);
  if (!existsSync(file)) return [];
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    if (!Array.isArray(parsed)) return [];
    return parsed.filter(
      (p): p is PickedPath =>
        typeof p === 'object' && p !== null && typeof p.path === 'string' && isAbsolute(p.path) && (p.kind === 'file' || p.kind === 'directory'),
    );
  } catch {
    return [];
  }
}

export function savePickedPaths(dataDir: string, picks: PickedPath[]): void {
  const file = join(dataDir, FILE_NAME);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(picks, null, 2));
}

// Folders that are never offered as a whole: the file system root, system folders, the home
// folder itself (pick a folder inside it) and the usual secrets folders.
function forbiddenRoots(): { path: string; exact: boolean }[] {
  const home = homedir();
  return [
    { path: '/', exact: true },
    { path: home, exact: true },
    ...['/proc', '/sys', '/dev', '/etc', '/boot', '/root'].map((p) => ({ path: p, exact: false })),
    ...['.ssh', '.gnupg', '.aws', '.kube', '.docker', '.password-store'].map((d) => ({ path: join(home, d), exact: false })),
  ];
}

/** Validates a typed or natively picked path; returns its real path. */
export async function validatePick(input: string, kind: 'file' | 'directory'): Promise<string> {
  const shown = JSON.stringify(input);
  if (!isAbsolute(input)) throw new PathRefusedError(`${shown} is not an absolute path.`, 'Type the full path, starting with /.');
  if (input.includes('\0')) throw new PathRefusedError('The path contains a NUL character.', 'Type the path again.');
  let real: string;
  try {
    real = await realpath(resolve(input));
  } catch {
    throw new PathRefusedError(`${shown} does not exist.`, 'Check the spelling; the path must exist on the machine running TuneDesk.');
  }
  const info = await stat(real);
  if (kind === 'directory' && !info.isDirectory()) throw new PathRefusedError(`${shown} is not a folder.`, 'Choose a folder.');
  if (kind === 'file' && !info.isFile()) throw new PathRefusedError(`${shown} is not a file.`, 'Choose a file.');
  for (const forbidden of forbiddenRoots()) {
    if (forbidden.exact ? real === forbidden.path : isWithin(forbidden.path, real)) {
      throw new PathRefusedError(
        `${shown} is a system or private folder that TuneDesk does not open as a whole.`,
        'Choose the specific model or data folder inside it.',
      );
    }
  }
  return real;
}

/** Records an accepted pick: allowed now and remembered for the next launch. */
export function rememberPick(guard: PathGuard, dataDir: string, pick: PickedPath): void {
  guard.allow(pick.path, `picked ${pick.purpose} ${pick.kind === 'file' ? 'file' : 'folder'}`);
  const picks = loadPickedPaths(dataDir).filter((p) => p.path !== pick.path);
  savePickedPaths(dataDir, [...picks, pick]);
}
