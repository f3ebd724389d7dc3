// Bindings for contract/presets.ts.
import { loadPresets } from '../../services/recommend/presets-store';
import type { HandlerMap } from '../handler-types';
import { machineRefusal } from '../machine-refusals';

export const presetsHandlers: HandlerMap<'presets.list'> = {
  'presets.list': async () => ({ presets: await loadPresets().catch((error: unknown) => machineRefusal(error)) }),
};
