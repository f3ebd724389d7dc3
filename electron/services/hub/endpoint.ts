// The Hub endpoint: HF_ENDPOINT when set (what huggingface_hub itself reads), else the user's
// setting (a mirror, for users behind firewalls), else huggingface.co.
import { SettingsStore } from '../settings/settings-store';

export const DEFAULT_HUB_ENDPOINT = 'https://huggingface.co';

export interface EndpointInfo {
  endpoint: string;
  source: 'env' | 'settings' | 'default';
}

export async function hubEndpoint(dataDir: string, env: NodeJS.ProcessEnv = process.env): Promise<EndpointInfo> {
  if (env.HF_ENDPOINT) return { endpoint: env.HF_ENDPOINT.replace(/\/+$/, ''), source: 'env' };
  const stored = (await new SettingsStore(dataDir).read()).hubEndpoint;
  return stored ? { endpoint: stored.replace(/\/+$/, ''), source: 'settings' } : { endpoint: DEFAULT_HUB_ENDPOINT, source: 'default' };
}

export async function setHubEndpoint(dataDir: string, endpoint: string | null, env: NodeJS.ProcessEnv = process.env): Promise<EndpointInfo> {
  const store = new SettingsStore(dataDir);
  if (endpoint === null) {
    const { hubEndpoint: _dropped, ...rest } = await store.read();
    await store.replace(rest);
  } else {
    await store.update({ hubEndpoint: endpoint });
  }
  return hubEndpoint(dataDir, env);
}
