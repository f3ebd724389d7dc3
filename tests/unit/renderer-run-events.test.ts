// applyEvent over the golden event files: the renderer's one reducer for trainer events.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseEventLine, type TrainerEvent } from '../../electron/shared/events';
import { LOG_TAIL_LINES, applyEvent, applyEvents, emptyRunState } from '../../renderer/src/shared-state/run-events';

const goldenDir = join(import.meta.dirname, '..', 'fixtures', 'golden-events');

function golden(name: string): TrainerEvent[] {
  return readFileSync(join(goldenDir, name), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((line) => {
      const parsed = parseEventLine(line);
      if (!parsed.ok) throw new Error(`${name}: ${parsed.error}`);
      return parsed.event;
    });
}

const fold = (events: TrainerEvent[]) => events.reduce(applyEvent, emptyRunState());

describe('applyEvent on golden runs', () => {
  it('completed run: header, every metrics point, eval, checkpoints, final status', () => {
    const s = fold(golden('completed-run.jsonl'));
    expect(s.runId).toBe('demo-20261128-000000');
    expect(s.method).toBe('lora');
    expect(s.engine).toBe('torch');
    expect(s.totalSteps).toBe(4);
    expect(s.trainableParams).toBe(8192);
    expect(s.status).toBe('completed');
    expect(s.metrics.map((p) => p.step)).toEqual([1, 2, 3, 4]);
    expect(s.metrics.map((p) => p.values.loss)).toEqual([4.12, 3.71, 3.2, 2.9]);
    // null (a non-finite grad norm) is kept as null, never turned into 0
    expect(s.metrics[3]!.values.grad_norm).toBeNull();
    expect(s.evals).toEqual([{ step: 2, ts: 1764288003.5, values: { eval_loss: 3.8 } }]);
    expect(s.checkpoints.map((c) => c.path)).toEqual(['checkpoints/step-000002', 'checkpoints/step-000004']);
    expect(s.logs[0]!.message).toContain('64 samples');
    expect(s.step).toBe(4);
    expect(s.error).toBeNull();
    expect(s.finishedTs).toBe(1764288007.1);
  });

  it('failed run keeps the classified error with its hint', () => {
    const s = fold(golden('failed-run.jsonl'));
    expect(s.status).toBe('failed');
    expect(s.error?.kind).toBe('nan');
    expect(s.error?.hint).toMatch(/learning rate/);
    expect(s.logs.map((l) => l.level)).toEqual(['error']);
    expect(s.step).toBe(2);
  });

  it('cancelled run ends cancelled with its checkpoint', () => {
    const s = fold(golden('cancelled-run.jsonl'));
    expect(s.status).toBe('cancelled');
    expect(s.checkpoints).toEqual([{ step: 2, path: 'checkpoints/step-000002', ts: 1764288203.0 }]);
    expect(s.logs[0]!.level).toBe('warning');
  });

  it('export and predict events do not change a training run', () => {
    const start = fold(golden('completed-run.jsonl'));
    expect(fold([...golden('completed-run.jsonl'), ...golden('export.jsonl')])).toEqual(start);
  });
});

describe('applyEvent semantics', () => {
  const events = golden('completed-run.jsonl');

  it('is pure: the input state is never mutated', () => {
    const s0 = fold(events.slice(0, 3));
    const snapshot = structuredClone(s0);
    const s1 = applyEvent(s0, events[3]!);
    expect(s0).toEqual(snapshot);
    expect(s1).not.toBe(s0);
    expect(s1.metrics.length).toBe(s0.metrics.length + 1);
  });

  it('a batch gives the same state as one event at a time', () => {
    expect(applyEvents(emptyRunState(), events)).toEqual(fold(events));
  });

  it('is running between run_started and run_finished', () => {
    expect(fold(events.slice(0, 4)).status).toBe('running');
  });

  it('a step going backwards (resume, re-delivery) replaces the tail instead of zig-zagging', () => {
    const metrics = events.filter((e) => e.type === 'metrics');
    const s = fold([events[0]!, ...metrics, metrics[1]!]);
    expect(s.metrics.map((p) => p.step)).toEqual([1, 2]);
    expect(s.anomalies).toHaveLength(1);
  });

  it('a re-delivered checkpoint is listed once', () => {
    const ckpt = events.find((e) => e.type === 'checkpoint_saved')!;
    expect(fold([ckpt, ckpt]).checkpoints).toHaveLength(1);
  });

  it('keeps only the log tail', () => {
    const logs: TrainerEvent[] = Array.from({ length: LOG_TAIL_LINES + 50 }, (_, i) => ({
      v: 1,
      ts: i,
      type: 'log',
      level: 'info',
      message: `line ${i}`,
    }));
    const s = applyEvents(emptyRunState(), logs);
    expect(s.logs).toHaveLength(LOG_TAIL_LINES);
    expect(s.logs.at(-1)!.message).toBe(`line ${LOG_TAIL_LINES + 49}`);
  });

  it('replays 100k metrics events in well under a second', () => {
    const many: TrainerEvent[] = Array.from({ length: 100_000 }, (_, i) => ({
      v: 1,
      ts: i,
      type: 'metrics',
      step: i + 1,
      epoch: 0,
      values: { loss: 1 / (i + 1) },
    }));
    const t0 = performance.now();
    const s = applyEvents(emptyRunState(), many);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(s.metrics).toHaveLength(100_000);
  });
});
