// GPU telemetry while a run is live: polled every 2 s from the hardware service (whose
// nvidia-smi query has its own timeout), merged into the live summary and appended to
// <run>/telemetry.jsonl so the charts survive a restart. A slow query never piles up: a tick
// that finds the previous one still running is skipped.
import { appendFile } from 'node:fs/promises';
import { queryNvidiaSmi } from '../hardware/nvidia-smi';
import type { GpuTelemetry } from './run-summary';

/** Anything that can sample the GPUs (the hardware service in the app; a fake in tests). */
export interface GpuTelemetrySource {
  sample(gpuIndices: number[]): Promise<GpuTelemetry[]>;
}

export class TelemetryPoller {
  private timer: NodeJS.Timeout | null = null;
  private busy = false;

  constructor(
    private readonly source: GpuTelemetrySource,
    private readonly gpus: number[],
    private readonly file: string,
    private readonly onSample: (sample: GpuTelemetry[]) => void,
    private readonly intervalMs = 2000,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
    void this.tick();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One sample; public so tests can drive it without waiting. */
  async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const sample = await this.source.sample(this.gpus);
      if (sample.length === 0) return;
      await appendFile(this.file, JSON.stringify({ ts: Date.now() / 1000, gpus: sample }) + '\n');
      this.onSample(sample);
    } catch {
      // telemetry is best effort: a failed query must never disturb the run or its view
    } finally {
      this.busy = false;
    }
  }
}

/** The hardware service's nvidia-smi query (hard timeout) as a telemetry source for chosen GPUs. */
export function nvidiaTelemetrySource(timeoutMs = 1500): GpuTelemetrySource {
  return {
    async sample(gpuIndices) {
      const { gpus } = await queryNvidiaSmi({ timeoutMs });
      const MiB = 1024 * 1024;
      const mb = (bytes: number | null) => (bytes === null ? null : Math.round(bytes / MiB));
      return gpus
        .filter((g) => g.index !== null && gpuIndices.includes(g.index))
        .map((g) => ({
          index: g.index!,
          memUsedMb: mb(g.memoryUsedBytes),
          memTotalMb: mb(g.memoryTotalBytes),
          utilizationPct: g.utilizationPct,
          temperatureC: g.temperatureC,
          powerW: g.powerDrawW,
        }));
    },
  };
}
