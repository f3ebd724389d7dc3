// The desktop side of the contract, with Electron mocked: the preload exposes exactly
// invoke + subscribe; the main process refuses foreign senders, navigation and new windows.
import { beforeEach, describe, expect, it, vi } from 'vitest';

const exposed: Record<string, unknown> = {};
const ipcRenderer = {
  invoke: vi.fn(async () => ({ ok: true, value: 'pong' })),
  send: vi.fn(),
  on: vi.fn(),
};
const ipcHandlers = new Map<string, (...args: unknown[]) => unknown>();
const openExternal = vi.fn();
const appListeners: Record<string, (event: { preventDefault(): void }) => void> = {};
const appQuit = vi.fn();
const showMessageBox = vi.fn(async () => ({ response: 0 }));

vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, value: unknown) => (exposed[key] = value) },
  ipcRenderer,
  ipcMain: {
    handle: (channel: string, fn: (...args: unknown[]) => unknown) => ipcHandlers.set(channel, fn),
    on: (channel: string, fn: (...args: unknown[]) => unknown) => ipcHandlers.set(channel, fn),
  },
  shell: { openExternal },
  app: { on: (name: string, fn: (event: { preventDefault(): void }) => void) => (appListeners[name] = fn), quit: appQuit },
  dialog: { showMessageBox },
  protocol: {},
  BrowserWindow: class {},
}));

describe('preload', () => {
  beforeEach(() => vi.clearAllMocks());

  it('exposes only window.tunedesk with invoke and subscribe, frozen, and no raw IPC or process', async () => {
    await import('../../electron/preload/preload');
    expect(Object.keys(exposed)).toEqual(['tunedesk']);
    const bridge = exposed.tunedesk as Record<string, unknown>;
    expect(Object.keys(bridge).sort()).toEqual(['invoke', 'subscribe']);
    expect(Object.isFrozen(bridge)).toBe(true);
    expect(Object.values(bridge).every((v) => typeof v === 'function')).toBe(true);
    expect(JSON.stringify(Object.keys(bridge))).not.toMatch(/ipc|process|env|send/i);
  });

  it('invoke goes through the one invoke channel and refuses malformed names without IPC', async () => {
    const { createBridge } = await import('../../electron/preload/bridge');
    const bridge = createBridge(ipcRenderer);
    await expect(bridge.invoke('app.info', {})).resolves.toEqual({ ok: true, value: 'pong' });
    expect(ipcRenderer.invoke).toHaveBeenCalledWith('tunedesk:invoke', 'app.info', {});
    ipcRenderer.invoke.mockClear();
    const bad = await bridge.invoke('../../etc', {});
    expect(bad).toMatchObject({ ok: false, error: { code: 'unknown_call' } });
    expect(ipcRenderer.invoke).not.toHaveBeenCalled();
  });

  it('subscribe returns an unsubscribe; the topic is subscribed once and released after the last listener', async () => {
    const { createBridge } = await import('../../electron/preload/bridge');
    let deliver: (event: unknown, topic: unknown, payload: unknown) => void = () => {};
    const ipc = { ...ipcRenderer, on: vi.fn((_c: string, fn: typeof deliver) => (deliver = fn)) };
    const bridge = createBridge(ipc);
    const got: unknown[] = [];
    const stop1 = bridge.subscribe('runs.update', (e) => got.push(['a', e]));
    const stop2 = bridge.subscribe('runs.update', (e) => got.push(['b', e]));
    expect(ipc.send).toHaveBeenCalledTimes(1);
    expect(ipc.send).toHaveBeenCalledWith('tunedesk:subscribe', 'runs.update');
    deliver({}, 'runs.update', { n: 1 });
    deliver({}, 'other', { n: 2 });
    stop1();
    stop1(); // idempotent
    deliver({}, 'runs.update', { n: 3 });
    stop2();
    expect(ipc.send).toHaveBeenLastCalledWith('tunedesk:unsubscribe', 'runs.update');
    expect(got).toEqual([
      ['a', { n: 1 }],
      ['b', { n: 1 }],
      ['b', { n: 3 }],
    ]);
    expect(() => bridge.subscribe('runs.update', 'nope' as never)).toThrow(TypeError);
  });
});

describe('main process', () => {
  it('accepts IPC only from the main frame of our own window showing our page', async () => {
    const { isTrustedSender } = await import('../../electron/main/ipc');
    const mainFrame = { url: 'app://tunedesk/index.html', parent: null };
    const ours = { mainFrame } as never;
    const ok = { sender: ours, senderFrame: mainFrame } as never;
    expect(isTrustedSender(ok, () => [ours])).toBe(true);
    expect(isTrustedSender(ok, () => [])).toBe(false); // another window
    const iframe = { sender: ours, senderFrame: { url: 'app://tunedesk/x', parent: mainFrame } } as never;
    expect(isTrustedSender(iframe, () => [ours])).toBe(false);
    const navigatedFrame = { url: 'https://evil.example/' };
    const navigated = { mainFrame: navigatedFrame } as never;
    expect(isTrustedSender({ sender: navigated, senderFrame: navigatedFrame } as never, () => [navigated])).toBe(false);
    expect(isTrustedSender({ sender: ours, senderFrame: null } as never, () => [ours])).toBe(false);
  });

  it('blocks navigation away and window.open; only https links go to the system browser', async () => {
    const { lockDown, isSafeExternalUrl } = await import('../../electron/main/window');
    const handlers: Record<string, (event: { preventDefault(): void }, url: string) => void> = {};
    let openHandler: (details: { url: string }) => { action: string } = () => ({ action: 'allow' });
    lockDown({
      on: (name: string, fn: (typeof handlers)[string]) => (handlers[name] = fn),
      setWindowOpenHandler: (fn: typeof openHandler) => (openHandler = fn),
    } as never);
    const navigate = (name: string, url: string) => {
      const event = { preventDefault: vi.fn() };
      handlers[name]!(event, url);
      return event.preventDefault.mock.calls.length > 0;
    };
    expect(navigate('will-navigate', 'https://evil.example/')).toBe(true);
    expect(navigate('will-navigate', 'file:///etc/passwd')).toBe(true);
    expect(navigate('will-navigate', 'app://tunedesk/index.html#/runs')).toBe(false);
    expect(navigate('will-redirect', 'http://127.0.0.1:1/')).toBe(true);
    expect(navigate('will-attach-webview', 'app://tunedesk/')).toBe(true);
    expect(openHandler({ url: 'https://huggingface.co/docs' })).toEqual({ action: 'deny' });
    expect(openExternal).toHaveBeenCalledWith('https://huggingface.co/docs');
    openExternal.mockClear();
    for (const url of ['http://example.com', 'file:///etc/passwd', 'javascript:alert(1)', 'https://user:pw@example.com/', 'https://localhost/']) {
      expect(openHandler({ url })).toEqual({ action: 'deny' });
      expect(isSafeExternalUrl(url), url).toBe(false);
    }
    expect(openExternal).not.toHaveBeenCalled();
  });

  it('asks keep / stop / cancel when quitting with trainings running', async () => {
    const { quitQuestion } = await import('../../electron/main/quit-guard');
    const one = quitQuestion([{ runId: 'r1', label: 'demo (LoRA)' }]);
    expect(one.choices).toEqual(['keep', 'stop', 'cancel']);
    expect(one.buttons[0]).toMatch(/background/);
    expect(one.detail).toContain('demo (LoRA)');
    expect(quitQuestion([{ runId: 'a', label: 'a' }, { runId: 'b', label: 'b' }]).message).toMatch(/2 trainings/);
  });

  describe('quit guard', () => {
    async function setup(running: { runId: string; label: string }[], response: number) {
      vi.resetModules();
      appQuit.mockClear();
      showMessageBox.mockClear();
      showMessageBox.mockResolvedValue({ response });
      const { installQuitGuard } = await import('../../electron/main/quit-guard');
      const stop = vi.fn(async () => {});
      const shutdown = vi.fn(async () => {});
      const ctx = { trainings: { running: async () => running, stop }, shutdown } as never;
      let onClose: (event: { preventDefault(): void }) => void = () => {};
      const guard = installQuitGuard(ctx, () => null);
      guard.watch({ on: (_name: string, fn: typeof onClose) => (onClose = fn) } as never);
      const event = { preventDefault: vi.fn() };
      onClose(event);
      await vi.waitFor(() => expect(showMessageBox.mock.calls.length + appQuit.mock.calls.length).toBeGreaterThan(0));
      await new Promise((r) => setTimeout(r, 10));
      return { stop, shutdown, event };
    }

    it('holds the window open and changes nothing when the user cancels', async () => {
      const { stop, shutdown, event } = await setup([{ runId: 'r1', label: 'r1' }], 2);
      expect(event.preventDefault).toHaveBeenCalled();
      expect(stop).not.toHaveBeenCalled();
      expect(shutdown).not.toHaveBeenCalled();
      expect(appQuit).not.toHaveBeenCalled();
    });

    it('stops every running training before quitting when asked to', async () => {
      const { stop, shutdown } = await setup([{ runId: 'r1', label: 'r1' }, { runId: 'r2', label: 'r2' }], 1);
      expect(stop.mock.calls).toEqual([['r1'], ['r2']]);
      expect(shutdown).toHaveBeenCalled();
      expect(appQuit).toHaveBeenCalled();
    });

    it('leaves trainings running in the background when asked to keep them', async () => {
      const { stop, shutdown } = await setup([{ runId: 'r1', label: 'r1' }], 0);
      expect(stop).not.toHaveBeenCalled();
      expect(shutdown).toHaveBeenCalled();
      expect(appQuit).toHaveBeenCalled();
    });

    it('quits without asking when nothing runs', async () => {
      await setup([], 2);
      expect(showMessageBox).not.toHaveBeenCalled();
      expect(appQuit).toHaveBeenCalled();
    });
  });
});
