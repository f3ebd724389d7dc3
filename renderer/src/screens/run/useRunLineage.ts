// Where a run comes from and where it went: the run it was resumed from (run-meta.json's parent,
// with that run's curve up to the resume step) and the runs resumed from it. The dashboard draws
// the parent's curve before its own, so a resumed run keeps the story of the training.
import { useEffect, useState } from 'react';
import { useApi } from '../../api-context';
import { applyEvents, emptyRunState, type MetricPoint } from '../../shared-state/run-events';

export interface RunLineage {
  parent: { runId: string; checkpoint: string; step: number; metrics: MetricPoint[] } | null;
  /** Runs resumed from this one, oldest first. */
  children: { runId: string; checkpoint: string }[];
}

/** The parent link of run-meta.json: {run_id, checkpoint, step?}; the step falls back to the checkpoint's name. */
export function parentOf(meta: Record<string, unknown> | null | undefined): { runId: string; checkpoint: string; step: number } | null {
  const p = meta?.parent;
  if (!p || typeof p !== 'object') return null;
  const { run_id: runId, checkpoint, step } = p as Record<string, unknown>;
  if (typeof runId !== 'string' || typeof checkpoint !== 'string') return null;
  const fromName = /step-(\d+)/.exec(checkpoint);
  const at = typeof step === 'number' ? step : fromName ? Number(fromName[1]) : null;
  return at === null ? null : { runId, checkpoint, step: at };
}

export function useRunLineage(runId: string): RunLineage {
  const api = useApi();
  // Kept with the run it belongs to, so another run's dashboard never shows this one's links.
  const [lineage, setLineage] = useState<{ runId: string; lineage: RunLineage } | null>(null);
  useEffect(() => {
    let cancelled = false;
    void (async () => {
      // The lineage is an addition to the dashboard: a parent deleted since, or a list that cannot be
      // read, leaves the run's own charts as they are.
      const [got, list] = await Promise.all([api.invoke('runs.get', { runId }).catch(() => null), api.invoke('runs.list', {}).catch(() => null)]);
      const children = (list?.runs ?? [])
        .filter((r) => r.parent?.run_id === runId)
        .sort((a, b) => (a.startedAt ?? 0) - (b.startedAt ?? 0))
        .map((r) => ({ runId: r.runId, checkpoint: r.parent!.checkpoint }));
      const link = parentOf(got?.meta);
      let parent: RunLineage['parent'] = null;
      if (link) {
        const history = await api.invoke('runs.history', { runId: link.runId }).catch(() => null);
        parent = { ...link, metrics: history ? applyEvents(emptyRunState(link.runId), history.events).metrics : [] };
      }
      if (!cancelled) setLineage({ runId, lineage: { parent, children } });
    })();
    return () => {
      cancelled = true;
    };
  }, [api, runId]);
  return lineage?.runId === runId ? lineage.lineage : NO_LINEAGE;
}

const NO_LINEAGE: RunLineage = { parent: null, children: [] };
