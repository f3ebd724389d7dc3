// Bindings of contract/hub.ts. Downloads run in the background through the host's one
// PullManager; progress goes out on 'hub.progress'. The token is read from and written to the
// host's SecretStore (OS-encrypted in the desktop app, memory in browser mode) and never returned.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { ApiError } from '../api-error';
import type { ApiContext } from '../context';
import type { HandlerMap } from '../handler-types';
import { hardwareReport } from '../../services/hardware/hardware-report';
import { budgetFromReport } from '../../services/recommend/machine-budget';
import { SettingsError } from '../../services/settings/settings-store';
import { catalog } from '../../services/hub/catalog';
import { listDownloads, modelsDirOf } from '../../services/hub/downloads';
import { hubEndpoint, setHubEndpoint } from '../../services/hub/endpoint';
import { PullBusyError, PullManager } from '../../services/hub/pull-service';
import { HUB_TOKEN, MemorySecretStore, tokenNote, type SecretStore } from '../../services/hub/secret-store';

type HubCall = 'hub.catalog' | 'hub.pull' | 'hub.cancel' | 'hub.downloads' | 'hub.tokenStatus' | 'hub.setToken' | 'hub.endpoint' | 'hub.setEndpoint';

export const secretsOf = (ctx: ApiContext): SecretStore => ctx.secrets ?? ctx.service('hub.secrets', () => new MemorySecretStore());

function pullsOf(ctx: ApiContext): PullManager {
  return ctx.service('hub.pulls', () => {
    const manager = new PullManager({
      dataDir: ctx.dataDir,
      secrets: secretsOf(ctx),
      endpoint: async () => (await hubEndpoint(ctx.dataDir)).endpoint,
      publish: (progress) => ctx.events.publish('hub.progress', progress),
    });
    ctx.onShutdown(() => manager.cancelAll());
    return manager;
  });
}

async function tokenStatus(ctx: ApiContext) {
  const secrets = secretsOf(ctx);
  return { stored: (await secrets.get(HUB_TOKEN)) !== null, storage: secrets.storage, note: tokenNote(secrets.storage) };
}

const settingsError = (error: unknown): never => {
  if (error instanceof SettingsError) throw new ApiError('settings', error.message, 'Fix settings.json or delete it.');
  throw error;
};

export const hubHandlers: HandlerMap<HubCall> = {
  'hub.catalog': async (request, ctx) => {
    const diskPath = [ctx.dataDir, ctx.runsRoot].find((p) => existsSync(p)) ?? homedir();
    const budget = budgetFromReport(await hardwareReport({ diskPath }));
    return { entries: catalog(budget, request.maxLen), modelsDir: modelsDirOf(ctx.dataDir) };
  },
  'hub.pull': async (request, ctx) => {
    try {
      const { jobId } = await pullsOf(ctx).start(request);
      return { jobId };
    } catch (error) {
      if (error instanceof PullBusyError) throw new ApiError('conflict', error.message, 'Wait for it to finish, or cancel it.');
      return settingsError(error);
    }
  },
  'hub.cancel': (request, ctx) => ({ cancelled: pullsOf(ctx).cancel(request.jobId) }),
  'hub.downloads': async (_request, ctx) => ({ running: pullsOf(ctx).running(), models: await listDownloads(ctx.dataDir), modelsDir: modelsDirOf(ctx.dataDir) }),
  'hub.tokenStatus': (_request, ctx) => tokenStatus(ctx),
  'hub.setToken': async (request, ctx) => {
    await secretsOf(ctx).set(HUB_TOKEN, request.token);
    return tokenStatus(ctx);
  },
  'hub.endpoint': (_request, ctx) => hubEndpoint(ctx.dataDir).catch(settingsError),
  'hub.setEndpoint': (request, ctx) => setHubEndpoint(ctx.dataDir, request.endpoint).catch(settingsError),
};
