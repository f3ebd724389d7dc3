// Where this host keeps its data and runs. Data folder: --data-dir, then TUNEDESK_DATA_DIR, then
// the platform default. Runs: --runs-dir, then TUNEDESK_RUNS_DIR, then the settings file of that
// data folder, then <data folder>/runs (so a fresh --data-dir is a fresh app, runs included).
import { join, resolve } from 'node:path';
import { defaultDataDir } from '../services/settings/runs-root';
import { SettingsStore } from '../services/settings/settings-store';

export interface HostFolders {
  runsRoot: string;
  dataDir: string;
}

export async function hostFolders(flags: { runsDir?: string | undefined; dataDir?: string | undefined } = {}, env: NodeJS.ProcessEnv = process.env): Promise<HostFolders> {
  const dataDir = resolve(flags.dataDir ?? env.TUNEDESK_DATA_DIR ?? defaultDataDir());
  if (flags.runsDir) return { dataDir, runsRoot: resolve(flags.runsDir) };
  if (env.TUNEDESK_RUNS_DIR) return { dataDir, runsRoot: resolve(env.TUNEDESK_RUNS_DIR) };
  let fromSettings: string | undefined;
  try {
    fromSettings = (await new SettingsStore(dataDir).read()).runsRoot;
  } catch (error) {
    // A broken settings file must not keep the app from starting: say so, use the default.
    console.error(`[tunedesk] ${(error as Error).message}`);
  }
  return { dataDir, runsRoot: fromSettings ? resolve(fromSettings) : join(dataDir, 'runs') };
}
