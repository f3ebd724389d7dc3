// Start-up decisions: which folders the host uses, and why Electron cannot start (so `npm start`
// can say so and fall back to browser mode).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { electronUnavailable } from '../../electron/main/launch';
import { hostFolders } from '../../electron/api/host-folders';

const base = mkdtempSync(join(tmpdir(), 'tunedesk-launch-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('host folders', () => {
  it('puts runs inside a fresh --data-dir', async () => {
    expect(await hostFolders({ dataDir: join(base, 'd1') }, {})).toEqual({ dataDir: join(base, 'd1'), runsRoot: join(base, 'd1', 'runs') });
  });

  it('lets --runs-dir, then TUNEDESK_RUNS_DIR, then the settings file choose the runs folder', async () => {
    const dataDir = join(base, 'd2');
    mkdirSync(dataDir);
    writeFileSync(join(dataDir, 'settings.json'), JSON.stringify({ runsRoot: join(base, 'from-settings') }));
    expect((await hostFolders({ dataDir }, {})).runsRoot).toBe(join(base, 'from-settings'));
    expect((await hostFolders({ dataDir }, { TUNEDESK_RUNS_DIR: join(base, 'env') })).runsRoot).toBe(join(base, 'env'));
    expect((await hostFolders({ dataDir, runsDir: join(base, 'flag') }, { TUNEDESK_RUNS_DIR: join(base, 'env') })).runsRoot).toBe(join(base, 'flag'));
    expect((await hostFolders({}, { TUNEDESK_DATA_DIR: dataDir })).dataDir).toBe(dataDir);
  });

  it('starts with the default runs folder when the settings file is broken', async () => {
    const dataDir = join(base, 'd3');
    mkdirSync(dataDir);
    writeFileSync(join(dataDir, 'settings.json'), '{ not json');
    expect((await hostFolders({ dataDir }, {})).runsRoot).toBe(join(dataDir, 'runs'));
  });
});

describe('why Electron cannot start', () => {
  const present = () => process.execPath; // any existing file stands in for the binary
  it('names a missing binary and how to install it', () => {
    const result = electronUnavailable({ DISPLAY: ':0' }, 'linux', () => {
      throw new Error('Electron failed to install correctly');
    });
    expect(result.reason).toMatch(/not installed.*install\.js/);
    expect(result.reason).toMatch(/ELECTRON_MIRROR/);
  });

  it('names a missing display on Linux only', () => {
    expect(electronUnavailable({}, 'linux', present).reason).toMatch(/no display/);
    expect(electronUnavailable({ DISPLAY: ':0' }, 'linux', present)).toEqual({ reason: null, binary: process.execPath });
    expect(electronUnavailable({ WAYLAND_DISPLAY: 'wayland-0' }, 'linux', present).reason).toBeNull();
    expect(electronUnavailable({}, 'darwin', present).reason).toBeNull();
  });

  it('names a binary path that does not exist', () => {
    expect(electronUnavailable({ DISPLAY: ':0' }, 'linux', () => join(base, 'no-electron')).reason).toMatch(/missing/);
  });
});
