// Where this host keeps its data and runs: flags first, then environment variables
// (TUNEDESK_DATA_DIR, TUNEDESK_RUNS_DIR), then the platform defaults.
import { resolve } from 'node:path';
import { defaultDataDir, resolveRunsRoot } from '../settings/runs-root';

export function hostFolders(flags: { runsDir?: string | undefined; dataDir?: string | undefined } = {}): { runsRoot: string; dataDir: string } {
  const dataDir = flags.dataDir ? resolve(flags.dataDir) : process.env.TUNEDESK_DATA_DIR ? resolve(process.env.TUNEDESK_DATA_DIR) : defaultDataDir();
  const runsRoot = resolveRunsRoot(flags.runsDir ? { flag: flags.runsDir } : {}).path;
  return { runsRoot, dataDir };
}
