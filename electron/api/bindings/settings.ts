// Bindings of contract/settings.ts: where runs go (the runs root) and where that came from.
import { join, resolve } from 'node:path';
import { SettingsStore } from '../../services/settings/settings-store';
import type { ApiContext } from '../context';
import type { HandlerMap } from '../handler-types';

async function runsRootInfo(ctx: ApiContext) {
  const store = new SettingsStore(ctx.dataDir);
  const stored = await store.read().catch(() => ({ runsRoot: undefined }));
  const source = process.env.TUNEDESK_RUNS_DIR ? 'env' : stored.runsRoot ? 'settings' : 'default';
  return { runsRoot: ctx.runsRoot, source, defaultRunsRoot: join(ctx.dataDir, 'runs') } as const;
}

export const settingsHandlers: HandlerMap<'settings.get' | 'settings.setRunsRoot'> = {
  'settings.get': (_request, ctx) => runsRootInfo(ctx),
  'settings.setRunsRoot': async ({ runsRoot }, ctx) => {
    await new SettingsStore(ctx.dataDir).update({ runsRoot: runsRoot ?? undefined });
    const effectiveNext = process.env.TUNEDESK_RUNS_DIR
      ? resolve(process.env.TUNEDESK_RUNS_DIR)
      : resolve(runsRoot ?? join(ctx.dataDir, 'runs'));
    return { ...(await runsRootInfo(ctx)), restartNeeded: effectiveNext !== ctx.runsRoot };
  },
};
