import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { GpuTelemetry } from '../../electron/services/runs/run-summary';
import { nvidiaTelemetrySource, TelemetryPoller } from '../../electron/services/runs/telemetry';

const fakeSmi = (name: string) => join(__dirname, '..', 'fixtures', 'nvidia-smi', name);

describe('GPU telemetry', () => {
  let dir = '';
  const saved = process.env.TUNEDESK_NVIDIA_SMI;
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
    if (saved === undefined) delete process.env.TUNEDESK_NVIDIA_SMI;
    else process.env.TUNEDESK_NVIDIA_SMI = saved;
  });

  it.runIf(process.platform !== 'win32')('samples the chosen GPUs through nvidia-smi and appends them to telemetry.jsonl', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tunedesk-telemetry-'));
    process.env.TUNEDESK_NVIDIA_SMI = fakeSmi('two-gpus');
    const seen: GpuTelemetry[][] = [];
    const file = join(dir, 'telemetry.jsonl');
    const poller = new TelemetryPoller(nvidiaTelemetrySource(), [1], file, (s) => seen.push(s));
    await poller.tick();
    await poller.tick();
    expect(seen).toHaveLength(2);
    expect(seen[0]).toEqual([{ index: 1, memUsedMb: 300, memTotalMb: 24576, utilizationPct: 0, temperatureC: 38, powerW: 21.8 }]);
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    expect(lines[0].gpus[0].index).toBe(1);
    expect(typeof lines[0].ts).toBe('number');
  });

  it('never piles up: a tick while the previous query still runs is skipped, and failures are swallowed', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tunedesk-telemetry-'));
    let calls = 0;
    let release: () => void = () => {};
    const slow = {
      sample: () => {
        calls += 1;
        return new Promise<GpuTelemetry[]>((resolve, reject) => {
          release = () => (calls === 1 ? resolve([]) : reject(new Error('driver wedged')));
        });
      },
    };
    const poller = new TelemetryPoller(slow, [0], join(dir, 't.jsonl'), () => {});
    const first = poller.tick();
    await poller.tick(); // skipped: the first is still running
    expect(calls).toBe(1);
    release();
    await first;
    const second = poller.tick();
    release();
    await expect(second).resolves.toBeUndefined();
    expect(calls).toBe(2);
  });
});
