import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseEventLine, type TrainerEvent } from '../../electron/shared/events';
import { applyEvent, applyEvents, emptySummary, markCrashed } from '../../electron/services/runs/run-summary';

const goldenEvents = (name: string): TrainerEvent[] =>
  readFileSync(join(__dirname, '..', 'fixtures', 'golden-events', name), 'utf8')
    .trim()
    .split('\n')
    .map((line) => {
      const parsed = parseEventLine(line);
      if (!parsed.ok) throw new Error(parsed.error);
      return parsed.event;
    });

describe('run summary reducer', () => {
  it('folds a completed golden run', () => {
    const s = applyEvents(emptySummary('demo', 'running'), goldenEvents('completed-run.jsonl'));
    expect(s).toMatchObject({
      status: 'completed',
      method: 'lora',
      engine: 'torch',
      totalSteps: 4,
      step: 4,
      lastLoss: 2.9,
      bestLoss: 2.9,
      lastEval: { eval_loss: 3.8 },
      lastCheckpoint: { step: 4, path: 'checkpoints/step-000004' },
      etaSeconds: 0,
      error: null,
      startedAt: 1764288000.0,
      finishedAt: 1764288007.1,
    });
    // steps 1..4 at ts 2,3,5,6 -> 3 steps in 4 s
    expect(s.stepsPerSecond).toBeCloseTo(0.75);
  });

  it('computes the ETA from the measured step time', () => {
    const [started, , m1, m2] = goldenEvents('completed-run.jsonl');
    const s = [started!, m1!, m2!].reduce(applyEvent, emptySummary('demo'));
    expect(s.status).toBe('running');
    expect(s.stepsPerSecond).toBeCloseTo(1); // step 1 at t=2, step 2 at t=3
    expect(s.etaSeconds).toBeCloseTo(2); // 2 steps left at 1 step/s
  });

  it('keeps the classified error of a failed run', () => {
    const s = applyEvents(emptySummary('nan'), goldenEvents('failed-run.jsonl'));
    expect(s.status).toBe('failed');
    expect(s.error).toMatchObject({ kind: 'nan' });
    expect(s.lastWarning).toBe('loss is nan at step 2');
  });

  it('marks a run without run_finished as crashed, with the log tail', () => {
    const events = goldenEvents('completed-run.jsonl').slice(0, 6);
    const s = markCrashed(applyEvents(emptySummary('x'), events), ['Killed'], 123);
    expect(s).toMatchObject({ status: 'crashed', logTail: ['Killed'], lastCheckpoint: { step: 2 }, finishedAt: 123 });
    // a finished run is never re-labelled
    const done = applyEvents(emptySummary('y'), goldenEvents('cancelled-run.jsonl'));
    expect(markCrashed(done, ['x'], 1).status).toBe('cancelled');
  });

  it('ignores a null (non-finite) loss for best/last loss', () => {
    const started = goldenEvents('completed-run.jsonl')[0]!;
    const s = applyEvents(emptySummary('z'), [
      started,
      { v: 1, ts: 1, type: 'metrics', step: 1, epoch: 0, values: { loss: 2 } },
      { v: 1, ts: 2, type: 'metrics', step: 2, epoch: 0, values: { loss: null } },
    ]);
    expect(s.lastLoss).toBe(2);
    expect(s.lastMetrics).toEqual({ loss: null });
  });
});

describe('the step the runs list shows agrees with the result card', () => {
  const started = (extra: Record<string, unknown> = {}) =>
    ({ v: 1, ts: 1, type: 'run_started', run_id: 'r', method: 'lora', engine: 'torch', model: '/m', total_steps: 355, trainable_params: 1, total_params: 2, config: {}, ...extra }) as TrainerEvent;
  const metrics = (step: number) => ({ v: 1, ts: 1 + step, type: 'metrics', step, epoch: 0, values: { loss: 1 } }) as TrainerEvent;

  it('a Stop after step 24 with metrics every 10 steps: the list says 24, not 20', () => {
    const s = applyEvents(emptySummary('r', 'running'), [
      started(),
      metrics(10),
      metrics(20),
      { v: 1, ts: 30, type: 'checkpoint_saved', step: 24, path: 'checkpoints/step-000024' } as TrainerEvent,
      { v: 1, ts: 31, type: 'run_finished', status: 'cancelled', step: 24 } as TrainerEvent,
    ]);
    expect(s.step).toBe(24);
    expect(s.lastCheckpoint?.step).toBe(24);
  });

  it('a resumed run starts at its checkpoint step, before its first metrics line', () => {
    const s = applyEvent(emptySummary('r', 'running'), started({ start_step: 35, resumed_from: '/runs/p/checkpoints/step-000035' }));
    expect(s.step).toBe(35);
  });
});
