// Calls about the application itself.
import { z } from 'zod';
import { call } from './define';

export const appCalls = {
  /** Version, transport mode and the folders the app works in. */
  'app.info': call(
    'Version of TuneDesk, which face is running (desktop window or browser mode) and its folders.',
    z.strictObject({}),
    z.object({
      name: z.literal('TuneDesk'),
      version: z.string(),
      mode: z.enum(['electron', 'browser']),
      platform: z.string(),
      runsRoot: z.string(),
      dataDir: z.string(),
    }),
  ),
};
