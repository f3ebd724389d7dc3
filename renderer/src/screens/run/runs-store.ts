// The runs feature's store: one live view per run the user is looking at, folded from the run's
// event history plus the live updates pushed by the run manager. Only in memory: live telemetry is
// never persisted (the run directory on the host is the record).
import { create } from 'zustand';
import type { CallResponse } from '../../api';
import type { TrainerEvent } from '../../../../electron/shared/events';
import { applyEvents, emptyRunState, type RunLiveState, type RunStatus } from '../../shared-state/run-events';

type RunSummary = CallResponse<'runs.history'>['summary'];

/** What the renderer needs of the run manager's summary (a subset of the contract's run summary). */
export type RunSummaryView = Pick<
  RunSummary,
  'runId' | 'status' | 'step' | 'totalSteps' | 'etaSeconds' | 'stepsPerSecond' | 'error' | 'logTail' | 'lastCheckpoint'
> & {
  telemetry?: Omit<RunSummary['telemetry'][number], 'powerW'>[];
};

/** One GPU reading pushed with a live update (nvidia-smi, every ~2 s), placed at the run's step. */
export interface TelemetryPoint {
  step: number;
  gpu: number;
  utilizationPct: number | null;
  memUsedGb: number | null;
}

/** Enough for hours of 2-second samples; older ones drop off (the run directory keeps them). */
export const TELEMETRY_LIMIT = 20_000;

export interface RunView {
  live: RunLiveState;
  /** GPU readings seen while this page watched the run (live only, never persisted here). */
  telemetry: TelemetryPoint[];
  summary: RunSummaryView | null;
  /** History loaded: live updates are applied directly from now on. */
  attached: boolean;
  /** Updates that arrived while the history was still loading. */
  buffered: TrainerEvent[];
  /**
   * The history's last events (those of its last timestamp) until a newer live event arrives: the
   * host reads history from the file, which can be ahead of the live feed by a poll, so the first
   * live updates after attaching may repeat lines the history already had.
   */
  historyTail: TrainerEvent[];
}

export interface RunsState {
  runs: Record<string, RunView>;
  /** Starts following a run: updates are buffered until its history arrives. */
  beginAttach(runId: string): void;
  /** The run's full event history (from events.jsonl) and current summary. */
  loadHistory(runId: string, summary: RunSummaryView | null, events: readonly TrainerEvent[]): void;
  /** A batched live update from the run manager. */
  ingest(runId: string, summary: RunSummaryView | null, events: readonly TrainerEvent[]): void;
  forget(runId: string): void;
}

const emptyView = (runId: string): RunView => ({ live: emptyRunState(runId), telemetry: [], summary: null, attached: false, buffered: [], historyTail: [] });

/** Appends the readings of a summary (one per GPU) at the run's current step; pure. */
export function withTelemetry(points: TelemetryPoint[], summary: RunSummaryView | null, step: number): TelemetryPoint[] {
  const readings = summary?.telemetry ?? [];
  if (readings.length === 0) return points;
  const next = points.concat(
    readings.map((g) => ({ step, gpu: g.index, utilizationPct: g.utilizationPct, memUsedGb: g.memUsedMb === null ? null : g.memUsedMb / 1024 })),
  );
  return next.length > TELEMETRY_LIMIT ? next.slice(-TELEMETRY_LIMIT) : next;
}

/** The run manager knows what events cannot say (queued, crashed): its status wins. */
export function withSummary(live: RunLiveState, summary: RunSummaryView | null): RunLiveState {
  if (!summary) return live;
  const next = { ...live, status: summary.status as RunStatus };
  if (summary.error && !live.error) next.error = summary.error;
  if (summary.totalSteps !== null && live.totalSteps === null) next.totalSteps = summary.totalSteps;
  return next;
}

/** Live events that arrived while the history loaded, minus those the history already holds
 * (the two overlap by a few events; events carry no sequence number, so ts + content decide). */
export function eventsAfterHistory(history: readonly TrainerEvent[], buffered: readonly TrainerEvent[]): TrainerEvent[] {
  const last = history[history.length - 1];
  if (!last) return [...buffered];
  const lastTs = last.ts;
  const sameTs = new Set(history.filter((e) => e.ts === lastTs).map((e) => JSON.stringify(e)));
  return buffered.filter((e) => e.ts > lastTs || (e.ts === lastTs && !sameTs.has(JSON.stringify(e))));
}

export const useRunsStore = create<RunsState>()((set) => ({
  runs: {},
  beginAttach: (runId) =>
    set((s) => ({ runs: { ...s.runs, [runId]: s.runs[runId]?.attached ? s.runs[runId] : emptyView(runId) } })),
  loadHistory: (runId, summary, events) =>
    set((s) => {
      const prev = s.runs[runId] ?? emptyView(runId);
      const all = [...events, ...eventsAfterHistory(events, prev.buffered)];
      const live = withSummary(applyEvents(emptyRunState(runId), all), summary);
      const lastTs = all.at(-1)?.ts;
      const historyTail = all.filter((e) => e.ts === lastTs);
      return { runs: { ...s.runs, [runId]: { live, telemetry: prev.telemetry, summary: summary ?? prev.summary, attached: true, buffered: [], historyTail } } };
    }),
  ingest: (runId, summary, events) =>
    set((s) => {
      const prev = s.runs[runId] ?? emptyView(runId);
      if (!prev.attached) {
        return { runs: { ...s.runs, [runId]: { ...prev, summary: summary ?? prev.summary, buffered: [...prev.buffered, ...events] } } };
      }
      const fresh = prev.historyTail.length > 0 ? eventsAfterHistory(prev.historyTail, events) : events;
      // Once a newer event has arrived, the live feed is past the history: no more checking.
      const historyTail = fresh.length > 0 ? [] : prev.historyTail;
      const live = withSummary(applyEvents(prev.live, fresh), summary ?? prev.summary);
      const telemetry = withTelemetry(prev.telemetry, summary, live.step);
      return { runs: { ...s.runs, [runId]: { ...prev, live, telemetry, summary: summary ?? prev.summary, historyTail } } };
    }),
  forget: (runId) =>
    set((s) => {
      const { [runId]: _gone, ...rest } = s.runs;
      return { runs: rest };
    }),
}));
