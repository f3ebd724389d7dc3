// Settings: where runs live. TUNEDESK_RUNS_DIR (or --runs-dir) overrides the stored choice.
import { z } from 'zod';
import { call } from './define';
import { localPath } from './path-field';

const runsRootInfo = z.object({
  runsRoot: z.string(),
  /** Why this folder: flag, env (TUNEDESK_RUNS_DIR), settings (the user's choice) or default. */
  source: z.enum(['flag', 'env', 'settings', 'default']),
  defaultRunsRoot: z.string(),
});

export const settingsCalls = {
  /** The effective runs root, why it is that one, and the default. */
  'settings.get': call('The runs folder in effect, why (flag, environment, setting or default) and the default.', z.strictObject({}), runsRootInfo),
  /** Store the runs root (null returns to the default); takes effect when the app restarts. */
  'settings.setRunsRoot': call(
    'Choose the runs folder (null: back to the default). Stored in settings.json; takes effect on the next start. ' +
      'TUNEDESK_RUNS_DIR, when set, still wins.',
    z.strictObject({ runsRoot: localPath({ must: 'create', kind: 'directory' }).nullable() }),
    runsRootInfo.extend({ restartNeeded: z.boolean() }),
  ),
};
