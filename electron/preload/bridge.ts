// The desktop bridge, built over an ipcRenderer-like object. Kept apart from the Electron import
// so it is unit-testable; preload.ts exposes it with contextBridge. The page gets exactly
// invoke + subscribe: no ipcRenderer, no channel names, no process, no Node.
import { IPC, type ApiResult, type TunedeskBridge } from '../shared/bridge';

export interface IpcLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  send(channel: string, ...args: unknown[]): void;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
}

const NAME = /^[a-zA-Z][\w.-]{0,99}$/;

export function createBridge(ipc: IpcLike): TunedeskBridge {
  const listeners = new Map<string, Set<(event: unknown) => void>>();
  // One IPC listener for all topics; the main process only sends topics this page subscribed to.
  ipc.on(IPC.event, (_event, topic, payload) => {
    if (typeof topic !== 'string') return;
    for (const listener of [...(listeners.get(topic) ?? [])]) listener(payload);
  });

  return Object.freeze({
    invoke(name: string, request: unknown): Promise<ApiResult> {
      if (typeof name !== 'string' || !NAME.test(name)) {
        return Promise.resolve({ ok: false, error: { code: 'unknown_call', message: `"${String(name).slice(0, 100)}" is not a call name.` } });
      }
      return ipc.invoke(IPC.invoke, name, request) as Promise<ApiResult>;
    },
    subscribe(topic: string, listener: (event: unknown) => void): () => void {
      if (typeof topic !== 'string' || !NAME.test(topic) || typeof listener !== 'function') {
        throw new TypeError('subscribe(topic, listener) needs a topic name and a function');
      }
      let set = listeners.get(topic);
      if (!set) {
        listeners.set(topic, (set = new Set()));
        ipc.send(IPC.subscribe, topic);
      }
      set.add(listener);
      let active = true;
      return () => {
        if (!active) return;
        active = false;
        const current = listeners.get(topic);
        current?.delete(listener);
        if (current && current.size === 0) {
          listeners.delete(topic);
          ipc.send(IPC.unsubscribe, topic);
        }
      };
    },
  });
}
