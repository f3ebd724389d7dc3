// The host's event hub and request size limit: producers start with the first subscriber and stop
// after the last; events that break their topic's schema never reach a subscriber; a throwing
// listener does not starve the others.
import { describe, expect, it, vi } from 'vitest';
import { EventHub } from '../../electron/api/event-hub';
import { jsonSize, MAX_REQUEST_BYTES } from '../../electron/api/payload-size';

const line = (text: string) => ({ line: text, stream: 'stdout' as const, done: false });

describe('EventHub', () => {
  it('starts a topic producer on the first subscriber and stops it after the last', () => {
    const hub = new EventHub();
    const stop = vi.fn();
    const start = vi.fn(() => stop);
    hub.onDemand('system.setupProgress', start);
    expect(start).not.toHaveBeenCalled();
    const a = hub.subscribe('system.setupProgress', () => {});
    const b = hub.subscribe('system.setupProgress', () => {});
    expect(start).toHaveBeenCalledTimes(1);
    a();
    expect(stop).not.toHaveBeenCalled();
    b();
    b(); // idempotent
    expect(stop).toHaveBeenCalledTimes(1);
    hub.subscribe('system.setupProgress', () => {});
    expect(start).toHaveBeenCalledTimes(2);
    hub.close();
    expect(stop).toHaveBeenCalledTimes(2);
  });

  it('delivers valid events, drops invalid ones, survives a throwing listener', () => {
    const hub = new EventHub();
    const got: unknown[] = [];
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    hub.subscribe('system.setupProgress', () => {
      throw new Error('listener bug');
    });
    hub.subscribe('system.setupProgress', (e) => got.push(e));
    hub.publish('system.setupProgress', line('one'));
    hub.publish('system.setupProgress', { line: 42 } as never);
    expect(got).toEqual([line('one')]);
    expect(errors.mock.calls.some((c) => String(c[0]).includes('dropped an invalid'))).toBe(true);
    errors.mockRestore();
  });

  it('refuses subscriptions to topics the contract does not declare', () => {
    const hub = new EventHub();
    expect(() => hub.subscribe('no.such', () => {})).toThrow(/unknown topic/);
    expect(() => hub.subscribe('__proto__', () => {})).toThrow(/unknown topic/);
    expect(EventHub.isTopic('runs.update')).toBe(true);
  });
});

describe('request size', () => {
  it('measures requests as JSON bytes and treats unserialisable ones as too large', () => {
    expect(jsonSize({ a: 'é' })).toBe(Buffer.byteLength('{"a":"é"}'));
    expect(jsonSize('x'.repeat(MAX_REQUEST_BYTES))).toBeGreaterThan(MAX_REQUEST_BYTES);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(jsonSize(cyclic)).toBe(Infinity);
    expect(jsonSize(undefined)).toBe(4);
  });
});
