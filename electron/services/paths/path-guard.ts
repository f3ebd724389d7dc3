// The ONE path checker. Every path a call receives goes through check() (the API dispatcher calls
// it for every localPath() field), which resolves it, follows symlinks to the real file, and
// refuses anything that ends up outside the allowed folders: the runs root, the data folder, the
// bundled resources, and what the user picked explicitly (system.pickPath).
import { realpath, stat } from 'node:fs/promises';
import { realpathSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { PathFieldMeta } from '../../shared/contract/path-field';

export interface AllowedRoot {
  /** Absolute path as given. */
  path: string;
  /** Why it is allowed, shown to the user (e.g. "runs folder", "picked model folder"). */
  why: string;
}

/** A path was refused: outside the allowed folders, missing, or of the wrong kind. */
export class PathRefusedError extends Error {
  readonly code = 'path_refused';
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
    this.name = 'PathRefusedError';
  }
}

const PICK_HINT = 'Choose it with the file or folder picker first (system.pickPath), or use a path inside an allowed folder.';

export class PathGuard {
  private readonly allowed: { root: AllowedRoot; real: string }[] = [];

  constructor(roots: AllowedRoot[] = []) {
    for (const root of roots) this.allow(root.path, root.why);
  }

  /** Adds an allowed folder (or single file). Symlinks in it are resolved once, now. */
  allow(path: string, why: string): void {
    if (!isAbsolute(path)) throw new Error(`allowed roots must be absolute, got "${path}"`);
    const real = realpathOrResolved(path);
    if (this.allowed.some((a) => a.real === real)) return;
    this.allowed.push({ root: { path: resolve(path), why }, real });
  }

  roots(): AllowedRoot[] {
    return this.allowed.map((a) => ({ ...a.root }));
  }

  /** True when `realPath` (already resolved) is one of the allowed roots or inside one. */
  isInside(realPath: string): boolean {
    return this.allowed.some((a) => isWithin(a.real, realPath));
  }

  /**
   * Checks `input` against the allowed folders and returns its canonical real path.
   * `what` names the field in error messages (e.g. "modelPath").
   */
  async check(input: string, meta: PathFieldMeta, what = 'path'): Promise<string> {
    const shown = JSON.stringify(input);
    if (input.includes('\0')) throw new PathRefusedError(`${what} contains a NUL character.`, 'Type the path again.');
    if (!isAbsolute(input)) {
      throw new PathRefusedError(`${what} ${shown} is not an absolute path.`, 'Give the full path, starting with / (or a drive letter on Windows).');
    }
    if (input.split(/[\\/]/).includes('..')) {
      throw new PathRefusedError(`${what} ${shown} contains "..".`, 'Give the path without ".." segments.');
    }
    const resolved = resolve(input);
    const real = meta.must === 'exist' ? await realExisting(resolved, what, shown) : await realForCreate(resolved);
    if (!this.isInside(real)) {
      const via = real !== resolved ? ` (it leads to ${JSON.stringify(real)})` : '';
      throw new PathRefusedError(`${what} ${shown}${via} is outside the folders TuneDesk may use.`, PICK_HINT);
    }
    await checkKind(real, meta, what, shown);
    return real;
  }
}

/** `child` equals `parent` or lies inside it (both already resolved). */
export function isWithin(parent: string, child: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

function realpathOrResolved(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path); // not created yet (e.g. a fresh runs root): its own path is the root
  }
}

async function realExisting(resolved: string, what: string, shown: string): Promise<string> {
  try {
    return await realpath(resolved);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new PathRefusedError(`${what} ${shown} does not exist.`, 'Check the path, or pick it again.');
    }
    throw new PathRefusedError(`${what} ${shown} cannot be read (${code ?? String(error)}).`, 'Check its permissions.');
  }
}

// An output path may not exist yet: resolve its nearest existing ancestor (following symlinks)
// and append the rest, so a symlinked parent cannot smuggle the output elsewhere.
async function realForCreate(resolved: string): Promise<string> {
  const missing: string[] = [];
  let current = resolved;
  for (;;) {
    try {
      const real = await realpath(current);
      return missing.length ? join(real, ...missing.reverse()) : real;
    } catch {
      const parent = dirname(current);
      if (parent === current) return resolved;
      missing.push(current.slice(parent.length).replace(/^[\\/]+/, ''));
      current = parent;
    }
  }
}

async function checkKind(real: string, meta: PathFieldMeta, what: string, shown: string): Promise<void> {
  if (meta.kind === 'any') return;
  let info;
  try {
    info = await stat(real);
  } catch {
    if (meta.must === 'create') return; // not there yet: fine for an output
    throw new PathRefusedError(`${what} ${shown} does not exist.`, 'Check the path, or pick it again.');
  }
  if (meta.kind === 'file' && !info.isFile()) {
    throw new PathRefusedError(`${what} ${shown} is not a file.`, 'Choose a file, not a folder.');
  }
  if (meta.kind === 'directory' && !info.isDirectory()) {
    throw new PathRefusedError(`${what} ${shown} is not a folder.`, 'Choose a folder, not a file.');
  }
}
