// The Electron main process: thin glue over the same services as the browser server and the CLI.
// Bundled to dist/electron/main.cjs by electron/main/build.mjs.
//   electron . [--data-dir DIR] [--runs-dir DIR]
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { app, BrowserWindow, dialog, safeStorage, session, shell } from 'electron';
import { createApiContext, type ApiContext } from '../api/context';
import { hostFolders } from '../api/host-folders';
import { cipherIsSecure, EncryptedFileSecretStore } from '../services/hub/encrypted-secret-store';
import { defaultDataDir } from '../services/settings/runs-root';
import { registerAppScheme, serveRenderer } from './app-protocol';
import { registerIpc } from './ipc';
import { installQuitGuard } from './quit-guard';
import { createMainWindow, isSafeExternalUrl, lockDown } from './window';

// dist/electron/main.cjs → the install root is two levels up.
const appRoot = resolve(__dirname, '..', '..');
const { values: flags } = parseArgs({
  args: process.argv.slice(app.isPackaged ? 1 : 2),
  options: { 'data-dir': { type: 'string' }, 'runs-dir': { type: 'string' } },
  strict: false,
});
const dataDirFlag = typeof flags['data-dir'] === 'string' ? flags['data-dir'] : undefined;
const runsDirFlag = typeof flags['runs-dir'] === 'string' ? flags['runs-dir'] : undefined;
// Chromium's own profile lives in the data folder, so a fresh --data-dir is a fresh app. It must
// be set before 'ready', so it is computed from the flags alone (hostFolders reads settings later).
app.setPath('userData', join(resolve(dataDirFlag ?? process.env.TUNEDESK_DATA_DIR ?? defaultDataDir()), 'electron'));

// Every renderer sandboxed, whatever a window's own flag says (belt and braces with window.ts).
app.enableSandbox();
registerAppScheme();
app.on('web-contents-created', (_event, contents) => lockDown(contents));

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  let mainWindow: BrowserWindow | null = null;
  app.on('second-instance', () => {
    if (mainWindow?.isMinimized()) mainWindow.restore();
    mainWindow?.focus();
  });

  void app.whenReady().then(async () => {
    const folders = await hostFolders({ dataDir: dataDirFlag, runsDir: runsDirFlag });
    // No page of ours needs the camera, notifications or anything else: refuse every permission.
    session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
    serveRenderer(join(appRoot, 'dist', 'renderer'));
    const version = (JSON.parse(readFileSync(join(appRoot, 'package.json'), 'utf8')) as { version: string }).version;
    const ctx: ApiContext = createApiContext({
      mode: 'electron',
      appRoot,
      version,
      ...folders,
      // The Hub token: encrypted by the OS's secret storage; where there is none (Linux without a
      // keyring), kept in memory only (the binding's default), never in plain text.
      ...(cipherIsSecure(safeStorage as typeof safeStorage | undefined) ? { secrets: new EncryptedFileSecretStore(folders.dataDir, safeStorage) } : {}),
      native: {
        async pickPath({ kind, title, defaultPath }) {
          const options = { properties: [kind === 'directory' ? ('openDirectory' as const) : ('openFile' as const)], ...(title ? { title } : {}), ...(defaultPath ? { defaultPath } : {}) };
          const result = mainWindow ? await dialog.showOpenDialog(mainWindow, options) : await dialog.showOpenDialog(options);
          return result.canceled ? null : (result.filePaths[0] ?? null);
        },
        async openExternal(url) {
          if (!isSafeExternalUrl(url)) throw new Error(`refusing to open ${url}: only https links are opened`);
          await shell.openExternal(url);
        },
      },
    });
    // Re-attach to trainings left running by an earlier launch (or the CLI) right away, so they
    // are watched (and runs queued before a restart wait again) before the page asks for the runs.
    // The quit guard does not depend on it: ctx.trainings opens the run manager itself.
    ctx.runs().catch((error: unknown) => console.error('[tunedesk] could not read the runs folder:', error));
    registerIpc(ctx, () => (mainWindow && !mainWindow.isDestroyed() ? [mainWindow.webContents] : []));
    const quitGuard = installQuitGuard(ctx, () => mainWindow);
    mainWindow = createMainWindow(join(__dirname, 'preload.cjs'));
    quitGuard.watch(mainWindow);
    mainWindow.on('closed', () => (mainWindow = null));
  });

  app.on('window-all-closed', () => app.quit());
}
