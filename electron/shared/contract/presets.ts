// The bundled presets (resources/presets/*.json), validated by electron/shared/presets.ts.
import { z } from 'zod';
import { call } from './define';
import { presetSchema } from '../presets';

export const presetsCalls = {
  /** Every bundled preset: a partial run configuration the wizard applies with one click. */
  'presets.list': call(
    'List the bundled presets: partial run configurations (trainer flag names) with who they are for.',
    z.strictObject({}),
    z.object({ presets: z.array(presetSchema) }),
  ),
};
