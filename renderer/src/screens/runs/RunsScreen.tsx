// Runs and checkpoints: every run under the runs folder (made by the app or the CLI) with status,
// method, base model and best loss. Open one for its curves; tick several to overlay their curves
// and see how their settings differ; per checkpoint: resume, export, try, delete.
import { useEffect, useRef, useState } from 'react';
import type { CallResponse } from '../../api';
import { useApi } from '../../api-context';
import { ErrorNote } from '../../components/ErrorNote';
import { toUiError, useCall } from '../../components/useCall';
import { navigate } from '../../route';
import { formatDuration, statusWord } from '../../shared-state/run-selectors';
import { formatBytes } from '../wizard/format';
import { CompareRuns } from './CompareRuns';
import { DeleteRunButton } from './DeleteRunButton';

type Listing = CallResponse<'runs.list'>['runs'][number];

export function RunsScreen({ compare }: { compare: string[] }) {
  const api = useApi();
  const list = useCall('runs.list', {});
  const [selected, setSelected] = useState<string[]>(compare);
  const [open, setOpen] = useState<string | null>(null);
  // Live: a run started elsewhere (the CLI, another window) or a status change reloads the list.
  const known = useRef(new Map<string, string>());
  useEffect(() => {
    known.current = new Map((list.data?.runs ?? []).map((r) => [r.runId, r.status]));
  }, [list.data]);
  const reload = list.reload;
  useEffect(
    () =>
      api.subscribe('runs.update', (u) => {
        if (known.current.get(u.summary.runId) !== u.summary.status) {
          known.current.set(u.summary.runId, u.summary.status);
          reload();
        }
      }),
    [api, reload],
  );
  const toggle = (id: string) => setSelected((s) => (s.includes(id) ? s.filter((x) => x !== id) : [...s, id].slice(-8)));

  return (
    <div className="stack">
      <header className="screen-header row" style={{ justifyContent: 'space-between' }}>
        <div>
          <h1>Runs</h1>
          <p className="help">Every run in the runs folder, including those started from the command line. Tick two or more to compare them.</p>
        </div>
        <div className="row">
          <button type="button" onClick={list.reload}>
            Refresh
          </button>
          <button type="button" className="primary" disabled={selected.length < 2} onClick={() => navigate({ screen: 'runs', compare: selected })}>
            Compare {selected.length >= 2 ? selected.length : ''} runs
          </button>
        </div>
      </header>
      <ErrorNote error={list.error} />
      {list.data && list.data.runs.length === 0 && <p className="help">No runs yet. Start one from “New training”, or try the demo on the Home screen.</p>}
      {list.data && list.data.runs.length > 0 && (
        <table className="table" data-testid="runs-table">
          <thead>
            <tr>
              <th scope="col">
                <span className="sr-only">Select</span>
              </th>
              <th scope="col">Run</th>
              <th scope="col">Status</th>
              <th scope="col">Method</th>
              <th scope="col">Base model</th>
              <th scope="col" title="The lowest logged loss; each is an average over the steps since the previous report, so a checkpoint's last-step loss can differ">
                Best loss
              </th>
              <th scope="col">Steps</th>
              <th scope="col">Duration</th>
              <th scope="col">Checkpoints</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.data.runs.map((r) => (
              <RunRow key={r.runId} run={r} resumedAs={list.data!.runs.filter((c) => c.parent?.run_id === r.runId).map((c) => c.runId)} selected={selected.includes(r.runId)} onToggle={() => toggle(r.runId)} open={open === r.runId} onOpen={() => setOpen(open === r.runId ? null : r.runId)} onChanged={list.reload} />
            ))}
          </tbody>
        </table>
      )}
      {compare.length >= 2 && <CompareRuns runIds={compare} />}
    </div>
  );
}

function RunRow({ run, resumedAs, selected, onToggle, open, onOpen, onChanged }: { run: Listing; resumedAs: string[]; selected: boolean; onToggle(): void; open: boolean; onOpen(): void; onChanged(): void }) {
  const complete = run.checkpoints.filter((c) => c.complete).length;
  return (
    <>
      <tr className={selected ? 'selected' : undefined} data-run={run.runId}>
        <td>
          <input type="checkbox" checked={selected} onChange={onToggle} aria-label={`Select ${run.runId}`} />
        </td>
        <td>
          <a href={`#/run/${encodeURIComponent(run.runId)}`}>{run.runId}</a>
          <RunLineageNote parent={run.parent} resumedAs={resumedAs} />
        </td>
        <td>
          <span className={`badge status-${run.status}`} data-status={run.status}>
            {statusWord(run.status)}
          </span>
        </td>
        <td>{run.method ?? '—'}</td>
        <td title={run.model ?? ''} style={{ maxWidth: 260, overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }}>
          {run.model ? run.model.split(/[\\/]/).filter(Boolean).at(-1) : '—'}
        </td>
        <td className="num">{run.bestLoss === null ? '—' : run.bestLoss.toFixed(4)}</td>
        <td className="num">
          {run.step}
          {run.totalSteps ? ` / ${run.totalSteps}` : ''}
        </td>
        <td className="num">{formatDuration(run.durationSeconds)}</td>
        <td>
          <button type="button" onClick={onOpen} aria-expanded={open} aria-label={`${complete} checkpoint(s) of ${run.runId}`}>
            {complete} {open ? '▴' : '▾'}
          </button>
        </td>
        <td>
          <DeleteRunButton runId={run.runId} status={run.status} onDeleted={onChanged} />
        </td>
      </tr>
      {open && (
        <tr>
          <td colSpan={10}>
            <CheckpointList run={run} onChanged={onChanged} />
          </td>
        </tr>
      )}
    </>
  );
}

function CheckpointList({ run, onChanged }: { run: Listing; onChanged(): void }) {
  const api = useApi();
  const [error, setError] = useState<{ message: string; hint?: string } | null>(null);
  const act = async (fn: () => Promise<void>) => {
    setError(null);
    try {
      await fn();
    } catch (e) {
      setError(toUiError(e));
    }
  };
  return (
    <div className="stack" data-testid="checkpoints">
      <ErrorNote error={error} />
      {run.checkpoints.length === 0 && <p className="help">No checkpoints.</p>}
      <table className="table">
        <tbody>
          {run.checkpoints.map((c) => (
            <tr key={c.name} data-checkpoint={c.name}>
              <td className="mono">{c.name}</td>
              <td className="num">step {c.step ?? '?'}</td>
              <td className="num">{c.loss === null ? '' : `last-step loss ${c.loss.toFixed(4)}`}</td>
              <td className="num">{formatBytes(c.sizeBytes)}</td>
              <td>
                {c.complete ? (
                  <div className="row" style={{ gap: 6 }}>
                    <button
                      type="button"
                      onClick={() =>
                        act(async () => {
                          const r = await api.invoke('runs.resume', { runId: run.runId, ...(c.step !== null ? { step: c.step } : {}), overrides: {} });
                          navigate({ screen: 'run', runId: r.summary.runId });
                        })
                      }
                      aria-label={`Resume from ${c.name} of ${run.runId}`}
                    >
                      Resume
                    </button>
                    <button type="button" onClick={() => navigate({ screen: 'export', runId: run.runId, checkpoint: c.name })} aria-label={`Export ${c.name} of ${run.runId}`}>
                      Export
                    </button>
                    <button type="button" onClick={() => navigate({ screen: 'try', runId: run.runId, checkpoint: c.name })} aria-label={`Try ${c.name} of ${run.runId}`}>
                      Try
                    </button>
                    <button
                      type="button"
                      className="danger"
                      aria-label={`Delete ${c.name} of ${run.runId}`}
                      onClick={() =>
                        act(async () => {
                          if (!window.confirm(`Delete ${c.name} of ${run.runId}? It goes to the trash where there is one.`)) return;
                          await api.invoke('checkpoints.delete', { runId: run.runId, name: c.name, permanent: false });
                          onChanged();
                        })
                      }
                    >
                      Delete
                    </button>
                  </div>
                ) : (
                  <span className="badge warn" title={c.problem ?? ''}>
                    incomplete{c.problem ? `: ${c.problem}` : ''}
                  </span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Under the run id: where a resumed run comes from, and the runs resumed from this one (links both ways). */
function RunLineageNote({ parent, resumedAs }: { parent: Listing['parent']; resumedAs: string[] }) {
  if (!parent && resumedAs.length === 0) return null;
  const link = (id: string) => <a href={`#/run/${encodeURIComponent(id)}`}>{id}</a>;
  return (
    <div className="help lineage" data-testid="run-lineage">
      {parent && (
        <div>
          ↳ resumed from {link(parent.run_id)} at {parent.checkpoint.replace(/^checkpoints\//, '')}
        </div>
      )}
      {resumedAs.length > 0 && (
        <div>
          ↪ resumed as{' '}
          {resumedAs.map((id, i) => (
            <span key={id}>
              {i > 0 && ', '}
              {link(id)}
            </span>
          ))}
        </div>
      )}
    </div>
  );
}
