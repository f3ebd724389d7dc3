// Bindings for contract/app.ts.
import type { HandlerMap } from '../handler-types';

export const appHandlers: HandlerMap<'app.info'> = {
  'app.info': (_request, ctx) => ({
    name: 'TuneDesk',
    version: ctx.version,
    mode: ctx.mode,
    platform: process.platform,
    runsRoot: ctx.runsRoot,
    dataDir: ctx.dataDir,
  }),
};
