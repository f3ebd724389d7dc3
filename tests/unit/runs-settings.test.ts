import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultRunsRoot, resolveRunsRoot } from '../../electron/services/settings/runs-root';
import { SettingsError, SettingsStore } from '../../electron/services/settings/settings-store';

describe('runs root', () => {
  it('defaults to the per-platform data directory', () => {
    expect(defaultRunsRoot({ platform: 'linux', env: {}, home: '/home/ada' })).toBe('/home/ada/.local/share/TuneDesk/runs');
    expect(defaultRunsRoot({ platform: 'linux', env: { XDG_DATA_HOME: '/data/xdg' }, home: '/home/ada' })).toBe('/data/xdg/TuneDesk/runs');
    expect(defaultRunsRoot({ platform: 'darwin', env: {}, home: '/Users/ada' })).toBe('/Users/ada/Library/Application Support/TuneDesk/runs');
    expect(defaultRunsRoot({ platform: 'win32', env: { APPDATA: 'C:\\Users\\ada\\AppData\\Roaming' }, home: 'C:\\Users\\ada' })).toBe(
      'C:\\Users\\ada\\AppData\\Roaming\\TuneDesk\\runs',
    );
  });

  it('lets --runs-dir beat TUNEDESK_RUNS_DIR beat the settings file', () => {
    const ctx = { platform: 'linux' as const, env: { TUNEDESK_RUNS_DIR: '/env/runs' }, home: '/h' };
    expect(resolveRunsRoot({ flag: '/flag/runs', settingsValue: '/s' }, ctx)).toEqual({ path: '/flag/runs', source: 'flag' });
    expect(resolveRunsRoot({ settingsValue: '/s' }, ctx)).toEqual({ path: '/env/runs', source: 'env' });
    expect(resolveRunsRoot({ settingsValue: '/s' }, { ...ctx, env: {} })).toEqual({ path: '/s', source: 'settings' });
    expect(resolveRunsRoot({}, { ...ctx, env: {} })).toEqual({ path: '/h/.local/share/TuneDesk/runs', source: 'default' });
  });
});

describe('settings store', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('stores the runs root and reports a broken file with its path', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tunedesk-settings-'));
    const store = new SettingsStore(dir);
    expect(await store.read()).toEqual({});
    await store.update({ runsRoot: '/big/disk/runs' });
    expect(await store.read()).toEqual({ runsRoot: '/big/disk/runs' });
    writeFileSync(store.file, '{"runsRoot": 3}');
    await expect(store.read()).rejects.toThrow(SettingsError);
    await expect(store.read()).rejects.toThrow(store.file);
  });
});
