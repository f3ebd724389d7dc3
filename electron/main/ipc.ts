// IPC for the typed API: one invoke channel (validated by the shared dispatcher) and topic
// subscriptions per window. Every message is first checked to come from the main frame of one
// of our own windows showing our own page; anything else is refused without running anything.
import { ipcMain, type IpcMainEvent, type IpcMainInvokeEvent, type WebContents } from 'electron';
import { IPC, type ApiResult } from '../shared/bridge';
import type { ApiContext } from '../api/context';
import { dispatch } from '../api/dispatch';
import { EventHub } from '../api/event-hub';
import { jsonSize, MAX_REQUEST_BYTES, tooLargeMessage } from '../api/payload-size';
import { APP_ORIGIN } from './app-protocol';

export function isTrustedSender(event: IpcMainEvent | IpcMainInvokeEvent, ourWindows: () => WebContents[]): boolean {
  const frame = event.senderFrame;
  // Only the top-level frame: an iframe (which our CSP forbids anyway) has a parent. Compared by
  // parent rather than object identity, because Electron may hand out a fresh WebFrameMain wrapper.
  if (!frame || frame.parent) return false;
  if (!ourWindows().includes(event.sender)) return false;
  return frame.url.startsWith(`${APP_ORIGIN}/`);
}

export function registerIpc(ctx: ApiContext, ourWindows: () => WebContents[]): void {
  const subscriptions = new Map<number, Map<string, () => void>>();

  ipcMain.handle(IPC.invoke, async (event, name: unknown, request: unknown): Promise<ApiResult> => {
    if (!isTrustedSender(event, ourWindows)) {
      return { ok: false, error: { code: 'forbidden', message: 'This page may not call TuneDesk.' } };
    }
    if (typeof name !== 'string') return { ok: false, error: { code: 'unknown_call', message: 'The call name must be a string.' } };
    if (jsonSize(request) > MAX_REQUEST_BYTES) return { ok: false, error: { code: 'too_large', message: tooLargeMessage() } };
    return dispatch(ctx, name, request);
  });

  ipcMain.on(IPC.subscribe, (event, topic: unknown) => {
    if (!isTrustedSender(event, ourWindows) || typeof topic !== 'string' || !EventHub.isTopic(topic)) return;
    const contents = event.sender;
    let mine = subscriptions.get(contents.id);
    if (!mine) {
      subscriptions.set(contents.id, (mine = new Map()));
      contents.once('destroyed', () => {
        for (const stop of subscriptions.get(contents.id)?.values() ?? []) stop();
        subscriptions.delete(contents.id);
      });
    }
    if (mine.has(topic)) return;
    mine.set(
      topic,
      ctx.events.subscribe(topic, (payload) => {
        if (!contents.isDestroyed()) contents.send(IPC.event, topic, payload);
      }),
    );
  });

  ipcMain.on(IPC.unsubscribe, (event, topic: unknown) => {
    if (!isTrustedSender(event, ourWindows) || typeof topic !== 'string') return;
    const mine = subscriptions.get(event.sender.id);
    mine?.get(topic)?.();
    mine?.delete(topic);
  });
}
