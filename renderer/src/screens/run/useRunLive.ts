// Follows one run: subscribes to its live updates first, then loads its whole history, so nothing
// written in between is lost (the store buffers updates until the history is in). A page reload
// or re-opening the dashboard does the same: re-attached, the curve continues.
import { useEffect, useState } from 'react';
import type { CallResponse } from '../../api';
import { useApi } from '../../api-context';
import { toUiError } from '../../components/useCall';
import { useRunsStore, type RunView, type RunSummaryView } from './runs-store';

export function useRunLive(runId: string): { view: RunView | undefined; error: { message: string; hint?: string } | null } {
  const api = useApi();
  const view = useRunsStore((s) => s.runs[runId]);
  const [error, setError] = useState<{ message: string; hint?: string } | null>(null);

  useEffect(() => {
    const store = useRunsStore.getState();
    store.beginAttach(runId);
    let cancelled = false;
    const unsubscribe = api.subscribe('runs.update', (u) => {
      if (u.runId === runId) useRunsStore.getState().ingest(runId, toSummaryView(u.summary), u.events);
    });
    let again: ReturnType<typeof setTimeout> | undefined;
    const load = () =>
      api.invoke('runs.history', { runId }).then(
        (h) => {
          if (cancelled) return;
          useRunsStore.getState().loadHistory(runId, toSummaryView(h.summary), h.events);
          // A very long run read for the first time answers with a sample while the host reads the
          // whole file: ask again until the exact (downsampled) history is there.
          if (h.sampled) again = setTimeout(load, 1500);
        },
        (e: unknown) => {
          if (!cancelled) setError(toUiError(e));
        },
      );
    void load();
    return () => {
      cancelled = true;
      if (again) clearTimeout(again);
      unsubscribe();
    };
  }, [api, runId]);

  return { view, error };
}

type Summary = CallResponse<'runs.history'>['summary'];

export function toSummaryView(s: Summary): RunSummaryView {
  return {
    runId: s.runId,
    status: s.status,
    step: s.step,
    totalSteps: s.totalSteps,
    etaSeconds: s.etaSeconds,
    stepsPerSecond: s.stepsPerSecond,
    error: s.error,
    logTail: s.logTail,
    lastCheckpoint: s.lastCheckpoint,
    telemetry: s.telemetry,
  };
}
