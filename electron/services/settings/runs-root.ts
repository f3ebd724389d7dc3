// Where runs live. The default is the user's data directory (per platform convention); the
// TUNEDESK_RUNS_DIR environment variable or a --runs-dir flag override it, and the app's
// settings file can override the default (but not the explicit overrides).
import { homedir } from 'node:os';
import { resolve, win32, posix } from 'node:path';

export interface PlatformContext {
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  home: string;
}

const currentContext = (): PlatformContext => ({ platform: process.platform, env: process.env, home: homedir() });

/** TuneDesk's per-user data directory: ~/.local/share/TuneDesk, ~/Library/Application Support/TuneDesk, %APPDATA%\TuneDesk. */
export function defaultDataDir(ctx: PlatformContext = currentContext()): string {
  if (ctx.platform === 'win32') {
    const appData = ctx.env.APPDATA ?? win32.join(ctx.home, 'AppData', 'Roaming');
    return win32.join(appData, 'TuneDesk');
  }
  if (ctx.platform === 'darwin') return posix.join(ctx.home, 'Library', 'Application Support', 'TuneDesk');
  // XDG: respect XDG_DATA_HOME when the user set it, as every Linux desktop app should.
  const dataHome = ctx.env.XDG_DATA_HOME && ctx.env.XDG_DATA_HOME.startsWith('/') ? ctx.env.XDG_DATA_HOME : posix.join(ctx.home, '.local', 'share');
  return posix.join(dataHome, 'TuneDesk');
}

/** The default runs root: <data dir>/runs. */
export function defaultRunsRoot(ctx: PlatformContext = currentContext()): string {
  const dir = defaultDataDir(ctx);
  return ctx.platform === 'win32' ? win32.join(dir, 'runs') : posix.join(dir, 'runs');
}

export type RunsRootSource = 'flag' | 'env' | 'settings' | 'default';

/** Resolves the runs root: --runs-dir flag, then TUNEDESK_RUNS_DIR, then the settings file, then the default. */
export function resolveRunsRoot(
  opts: { flag?: string; settingsValue?: string } = {},
  ctx: PlatformContext = currentContext(),
): { path: string; source: RunsRootSource } {
  if (opts.flag) return { path: resolve(opts.flag), source: 'flag' };
  if (ctx.env.TUNEDESK_RUNS_DIR) return { path: resolve(ctx.env.TUNEDESK_RUNS_DIR), source: 'env' };
  if (opts.settingsValue) return { path: resolve(opts.settingsValue), source: 'settings' };
  return { path: defaultRunsRoot(ctx), source: 'default' };
}
