// The runs store: history + live updates give the same curve as the whole file, a page reload
// (re-attach mid-run) continues the curve without duplicates, and the run manager's status wins.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { parseEventLine, type TrainerEvent } from '../../electron/shared/events';
import { applyEvents, emptyRunState } from '../../renderer/src/shared-state/run-events';
import { TELEMETRY_LIMIT, eventsAfterHistory, useRunsStore, withSummary, withTelemetry, type RunSummaryView } from '../../renderer/src/screens/run/runs-store';
import { telemetryCharts } from '../../renderer/src/screens/run/RunCharts';

const events: TrainerEvent[] = readFileSync(join(import.meta.dirname, '..', 'fixtures', 'golden-events', 'completed-run.jsonl'), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => {
    const p = parseEventLine(l);
    if (!p.ok) throw new Error(p.error);
    return p.event;
  });

const summary = (status: RunSummaryView['status'], extra: Partial<RunSummaryView> = {}): RunSummaryView => ({
  runId: 'r',
  status,
  step: 0,
  totalSteps: 4,
  etaSeconds: null,
  stepsPerSecond: null,
  error: null,
  logTail: [],
  lastCheckpoint: null,
  ...extra,
});

beforeEach(() => useRunsStore.setState({ runs: {} }));

describe('runs store', () => {
  it('history then live updates equals folding the whole file', () => {
    const store = useRunsStore.getState();
    store.beginAttach('r');
    store.loadHistory('r', summary('running'), events.slice(0, 4));
    useRunsStore.getState().ingest('r', summary('running'), events.slice(4, 7));
    useRunsStore.getState().ingest('r', summary('completed'), events.slice(7));
    const live = useRunsStore.getState().runs.r!.live;
    expect(live).toEqual(applyEvents(emptyRunState('r'), events));
  });

  it('updates that arrive while the history loads are applied once, after it (reload mid-run)', () => {
    const store = useRunsStore.getState();
    store.beginAttach('r');
    // the live stream already delivers steps 2..3 while the history request (steps up to 2) is in flight
    store.ingest('r', summary('running'), events.slice(3, 7));
    expect(useRunsStore.getState().runs.r!.live.metrics).toHaveLength(0);
    useRunsStore.getState().loadHistory('r', summary('running'), events.slice(0, 4));
    const live = useRunsStore.getState().runs.r!.live;
    expect(live.metrics.map((p) => p.step)).toEqual([1, 2, 3]);
    expect(live.anomalies).toEqual([]);
    expect(live.checkpoints).toHaveLength(1);
  });

  it('live updates that repeat lines the history already had (the file is ahead of the feed) are applied once', () => {
    const store = useRunsStore.getState();
    store.beginAttach('r');
    // the host read the file to line 7 while its live feed had only pushed up to line 4
    store.loadHistory('r', summary('running'), events.slice(0, 7));
    useRunsStore.getState().ingest('r', summary('running'), events.slice(4, 7));
    useRunsStore.getState().ingest('r', summary('completed'), events.slice(7));
    expect(useRunsStore.getState().runs.r!.live).toEqual(applyEvents(emptyRunState('r'), events));
  });

  it('crashed and queued come from the run manager', () => {
    const store = useRunsStore.getState();
    store.beginAttach('r');
    store.loadHistory('r', summary('crashed', { logTail: ['Killed'] }), events.slice(0, 5));
    const view = useRunsStore.getState().runs.r!;
    expect(view.live.status).toBe('crashed');
    expect(view.summary?.logTail).toEqual(['Killed']);
    expect(withSummary(emptyRunState('q'), summary('queued')).status).toBe('queued');
  });

  it('forget drops the run', () => {
    useRunsStore.getState().beginAttach('r');
    useRunsStore.getState().forget('r');
    expect(useRunsStore.getState().runs).toEqual({});
  });
});

describe('eventsAfterHistory', () => {
  it('drops the overlap and keeps what is new', () => {
    expect(eventsAfterHistory(events.slice(0, 5), events.slice(3))).toEqual(events.slice(5));
  });
  it('keeps everything when the history is empty', () => {
    expect(eventsAfterHistory([], events.slice(0, 2))).toEqual(events.slice(0, 2));
  });
});

describe('GPU telemetry from live updates', () => {
  it('is collected per GPU at the run step, only from live updates', () => {
    const gpu = (index: number, util: number, memMb: number) => ({ index, memUsedMb: memMb, memTotalMb: 81920, utilizationPct: util, temperatureC: 60 });
    const store = useRunsStore.getState();
    store.beginAttach('r');
    store.loadHistory('r', summary('running'), events.slice(0, 3));
    useRunsStore.getState().ingest('r', summary('running', { telemetry: [gpu(0, 95, 40960), gpu(1, 90, 20480)] }), events.slice(3, 4));
    useRunsStore.getState().ingest('r', summary('running', { telemetry: [] }), events.slice(4, 6));
    const view = useRunsStore.getState().runs.r!;
    expect(view.telemetry).toEqual([
      { step: 2, gpu: 0, utilizationPct: 95, memUsedGb: 40 },
      { step: 2, gpu: 1, utilizationPct: 90, memUsedGb: 20 },
    ]);
    const charts = telemetryCharts(view.telemetry);
    expect(charts.map((c) => c.title)).toEqual(['GPU utilization', 'GPU memory used (nvidia-smi)']);
    expect(charts[0]!.lines.map((l) => [l.label, l.ys])).toEqual([
      ['GPU 0', [95]],
      ['GPU 1', [90]],
    ]);
  });

  it('keeps a bounded number of readings', () => {
    const many = Array.from({ length: TELEMETRY_LIMIT }, (_, i) => ({ step: i, gpu: 0, utilizationPct: 1, memUsedGb: 1 }));
    const next = withTelemetry(many, summary('running', { telemetry: [{ index: 0, memUsedMb: 1024, memTotalMb: 2048, utilizationPct: 50, temperatureC: null }] }), 99);
    expect(next).toHaveLength(TELEMETRY_LIMIT);
    expect(next.at(-1)).toEqual({ step: 99, gpu: 0, utilizationPct: 50, memUsedGb: 1 });
  });
});
