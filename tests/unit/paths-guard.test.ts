// The one path checker: traversal, symlinks out, missing paths, wrong kinds, outputs under a
// symlinked parent, and the browser-mode pick validation.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, realpathSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { localPath } from '../../electron/shared/contract/path-field';
import { collectPathFields, pathFieldLocations } from '../../electron/api/path-fields';
import { PathGuard, PathRefusedError } from '../../electron/services/paths/path-guard';
import { loadPickedPaths, rememberPick, validatePick } from '../../electron/services/paths/picked-paths';

let base: string;
let allowed: string;
let outside: string;
let guard: PathGuard;

beforeAll(() => {
  base = realpathSync(mkdtempSync(join(tmpdir(), 'tunedesk-paths-')));
  allowed = join(base, 'runs');
  outside = join(base, 'outside');
  mkdirSync(join(allowed, 'run-1'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(join(allowed, 'run-1', 'run.json'), '{}');
  writeFileSync(join(outside, 'secret.txt'), 'secret');
  symlinkSync(outside, join(allowed, 'escape')); // a folder symlink leading out
  symlinkSync(join(outside, 'secret.txt'), join(allowed, 'secret-link.txt')); // a file symlink leading out
  symlinkSync(join(allowed, 'run-1'), join(allowed, 'inner-link')); // a symlink that stays inside
  guard = new PathGuard([{ path: allowed, why: 'runs folder' }]);
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

const read = { must: 'exist', kind: 'any' } as const;
const refused = (p: Promise<unknown>) => expect(p).rejects.toBeInstanceOf(PathRefusedError);

describe('PathGuard.check', () => {
  it('accepts paths inside an allowed folder and returns the real path', async () => {
    await expect(guard.check(join(allowed, 'run-1', 'run.json'), read)).resolves.toBe(join(allowed, 'run-1', 'run.json'));
    await expect(guard.check(join(allowed, 'inner-link'), { must: 'exist', kind: 'directory' })).resolves.toBe(join(allowed, 'run-1'));
  });

  it('refuses ".." traversal even when it would land inside', async () => {
    await refused(guard.check(`${allowed}/run-1/../../outside/secret.txt`, read));
    await refused(guard.check(`${allowed}/run-1/../run-1/run.json`, read));
  });

  it('refuses relative paths, NUL bytes and paths outside', async () => {
    await refused(guard.check('run-1/run.json', read));
    await refused(guard.check(`${allowed}/run-1\0/run.json`, read));
    await refused(guard.check(join(outside, 'secret.txt'), read));
    await refused(guard.check('/etc/passwd', read));
  });

  it('refuses symlinks that lead out of the allowed folder, and says where they lead', async () => {
    const error = await guard.check(join(allowed, 'escape', 'secret.txt'), read).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PathRefusedError);
    expect((error as Error).message).toContain(join(outside, 'secret.txt'));
    expect((error as PathRefusedError).hint).toMatch(/pick/i);
    await refused(guard.check(join(allowed, 'secret-link.txt'), read));
  });

  it('refuses an output path whose parent is a symlink out', async () => {
    await refused(guard.check(join(allowed, 'escape', 'new-export'), { must: 'create', kind: 'directory' }));
    await expect(guard.check(join(allowed, 'new', 'deeper', 'export'), { must: 'create', kind: 'directory' })).resolves.toBe(
      join(allowed, 'new', 'deeper', 'export'),
    );
  });

  it('checks existence and kind', async () => {
    const missing = await guard.check(join(allowed, 'nope'), read).catch((e: unknown) => e);
    expect((missing as Error).message).toMatch(/does not exist/);
    await refused(guard.check(join(allowed, 'run-1'), { must: 'exist', kind: 'file' }));
    await refused(guard.check(join(allowed, 'run-1', 'run.json'), { must: 'exist', kind: 'directory' }));
  });

  it('does not treat a sibling with a common prefix as inside', async () => {
    mkdirSync(`${allowed}-evil`, { recursive: true });
    await refused(guard.check(`${allowed}-evil`, read));
  });
});

describe('path fields in request schemas', () => {
  const schema = z.strictObject({
    model: z.strictObject({ path: localPath({ must: 'exist', kind: 'directory' }) }),
    out: localPath({ must: 'create', kind: 'directory' }).optional(),
    files: z.array(localPath({ must: 'exist', kind: 'file' }).describe('data files')),
    name: z.string(),
  });

  it('finds every marked field, through objects, optionals, arrays and describe()', () => {
    expect(pathFieldLocations(schema).map((l) => l.field)).toEqual(['model.path', 'out', 'files.0']);
    const value = schema.parse({ model: { path: '/a' }, files: ['/b', '/c'], name: 'n' });
    const found = collectPathFields(schema, value);
    expect(found.map((f) => [f.field, f.value])).toEqual([
      ['model.path', '/a'],
      ['files.0', '/b'],
      ['files.1', '/c'],
    ]);
    found[2]!.set('/checked');
    expect(value.files[1]).toBe('/checked');
  });
});

describe('picking paths', () => {
  it('accepts an existing folder and remembers it across launches', async () => {
    const dataDir = join(base, 'data');
    const picked = await validatePick(outside, 'directory');
    const fresh = new PathGuard([{ path: allowed, why: 'runs' }]);
    rememberPick(fresh, dataDir, { path: picked, kind: 'directory', purpose: 'model' });
    await expect(fresh.check(join(outside, 'secret.txt'), read)).resolves.toBe(join(outside, 'secret.txt'));
    expect(loadPickedPaths(dataDir)).toEqual([{ path: outside, kind: 'directory', purpose: 'model' }]);
  });

  it('refuses missing paths, wrong kinds, relative paths and system or secret folders', async () => {
    await refused(validatePick(join(base, 'missing'), 'directory'));
    await refused(validatePick(join(outside, 'secret.txt'), 'directory'));
    await refused(validatePick('relative/dir', 'directory'));
    await refused(validatePick('/', 'directory'));
    await refused(validatePick('/etc', 'directory'));
    await refused(validatePick(homedir(), 'directory'));
  });
});
