// The model step's "Download from the Hub": a short curated list (size, and which methods fit this
// machine, from the host's estimator) and any repo id; one download at a time with progress,
// speed and time left; partial downloads (an app restart, a cancel) resume. When a download is
// complete the folder is chosen as the model, so inspection and its cards (convert-weights,
// import-chatglm, ChatGLM-6B's legacy environment) take over from there.
import { useEffect, useRef, useState } from 'react';
import type { CatalogEntry, DownloadedModel, PullProgress } from '../../../../electron/shared/contract/hub';
import { useApi } from '../../api-context';
import { ErrorNote } from '../../components/ErrorNote';
import { ProgressBar } from '../../components/ProgressBar';
import { toUiError, useCall } from '../../components/useCall';
import { formatBytes, formatParams } from './format';
import { HubSettings } from './HubSettings';

const METHOD_LABELS: Record<string, string> = { lora: 'LoRA', freeze: 'Freeze', ptuning: 'P-Tuning', full: 'Full' };

export function fitsText(entry: CatalogEntry): string {
  const fit = entry.fits.filter((f) => f.verdict === 'fits').map((f) => METHOD_LABELS[f.method]);
  const tight = entry.fits.filter((f) => f.verdict === 'tight').map((f) => METHOD_LABELS[f.method]);
  if (!fit.length && !tight.length) return 'nothing fits this machine';
  return [fit.join(', '), tight.length ? `tight: ${tight.join(', ')}` : ''].filter(Boolean).join('; ');
}

export function formatEta(seconds: number | null): string {
  if (seconds === null) return '';
  if (seconds < 90) return `${Math.round(seconds)} s left`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min left`;
  return `${(seconds / 3600).toFixed(1)} h left`;
}

interface Failure {
  message: string;
  hint?: string;
  repoId: string;
  revision: string;
  pickleOnly: boolean;
}

export function HubDownloadCard({ onDownloaded }: { onDownloaded: (modelDir: string) => void }) {
  const api = useApi();
  const catalog = useCall('hub.catalog', { maxLen: 1024 });
  const downloads = useCall('hub.downloads', {});
  const [progress, setProgress] = useState<PullProgress | null>(null);
  const [failure, setFailure] = useState<Failure | null>(null);
  const [repoId, setRepoId] = useState('');
  const [revision, setRevision] = useState('main');
  // Read at event time: the subscription lives as long as the card, these change with renders.
  const latest = useRef({ onDownloaded, reload: downloads.reload });
  useEffect(() => {
    latest.current = { onDownloaded, reload: downloads.reload };
  });

  // Every event of the host's one download (also one started before a reload of this window).
  useEffect(
    () =>
      api.subscribe('hub.progress', (event) => {
        setProgress(event.phase === 'done' ? null : event);
        if (event.phase !== 'done' || !event.outcome) return;
        latest.current.reload();
        if (event.outcome.status === 'completed') latest.current.onDownloaded(event.outcome.modelDir);
        else if (event.outcome.status === 'failed') {
          const { message, hint } = event.outcome.error;
          setFailure({ message, hint, repoId: event.repoId, revision: revisionOf.get(event.jobId) ?? 'main', pickleOnly: hint.includes('--allow-pickle') });
        }
      }),
    [api],
  );
  const running = progress ?? downloads.data?.running ?? null;

  const pull = async (id: string, rev: string, allowPickle = false) => {
    setFailure(null);
    try {
      const { jobId } = await api.invoke('hub.pull', { repoId: id, revision: rev, allowPickle });
      revisionOf.set(jobId, rev);
    } catch (e) {
      setFailure({ ...toUiError(e), repoId: id, revision: rev, pickleOnly: false });
    }
  };
  const cancel = () => running && void api.invoke('hub.cancel', { jobId: running.jobId });
  const local = new Map((downloads.data?.models ?? []).map((m) => [m.repoId, m]));

  return (
    <section className="card stack" aria-label="Download from the Hub" data-testid="hub-card">
      <h3 style={{ margin: 0 }}>Download from the Hugging Face Hub</h3>
      <p className="help" style={{ margin: 0 }}>
        Safetensors and config/tokenizer files only, pinned to the revision&apos;s commit, into {downloads.data?.modelsDir ?? 'the data folder'}. An
        interrupted download resumes.
      </p>
      {running && <DownloadProgress progress={running} onCancel={cancel} />}
      <ErrorNote error={catalog.error} title="The list could not be read" />
      {catalog.data && (
        <table className="table" data-testid="hub-catalog">
          <thead>
            <tr>
              <th>Model</th>
              <th>Size</th>
              <th>Fits this machine</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {catalog.data.entries.map((entry) => (
              <tr key={entry.repoId}>
                <td>
                  {entry.label} {entry.gated && <span className="badge warn">token</span>}
                  <div className="help">{entry.note}</div>
                </td>
                <td>
                  {formatParams(entry.params)}, {formatBytes(entry.sizeBytes)}
                </td>
                <td>{fitsText(entry)}</td>
                <td>
                  <EntryAction local={local.get(entry.repoId)} busy={running !== null} onPull={() => void pull(entry.repoId, 'main')} onUse={onDownloaded} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          if (repoId.trim()) void pull(repoId.trim(), revision.trim() || 'main');
        }}
      >
        <label className="row" style={{ gap: 6 }}>
          Any repo id
          <input aria-label="Repo id" placeholder="organisation/name" value={repoId} onChange={(e) => setRepoId(e.target.value)} size={34} />
        </label>
        <label className="row" style={{ gap: 6 }}>
          Revision
          <input aria-label="Revision" value={revision} onChange={(e) => setRevision(e.target.value)} size={10} />
        </label>
        <button type="submit" disabled={running !== null || !repoId.trim()}>
          Download
        </button>
      </form>
      <PartialDownloads models={downloads.data?.models ?? []} busy={running !== null} onResume={(m) => void pull(m.repoId, m.revision)} />
      {failure && (
        <div className="stack" style={{ gap: 4 }}>
          <ErrorNote error={failure} title={`${failure.repoId} was not downloaded`} />
          {failure.pickleOnly && (
            <div className="row">
              <button type="button" onClick={() => void pull(failure.repoId, failure.revision, true)} disabled={running !== null}>
                Download the pickle weights anyway
              </button>
              <span className="help">Then write a safetensors copy with one click (below, once the folder is chosen): tensors only, nothing in them runs.</span>
            </div>
          )}
        </div>
      )}
      <HubSettings />
    </section>
  );
}

// The revision each job was started with, for "try again" buttons after a failure.
const revisionOf = new Map<string, string>();

function EntryAction({ local, busy, onPull, onUse }: { local: DownloadedModel | undefined; busy: boolean; onPull: () => void; onUse: (dir: string) => void }) {
  if (local?.complete) {
    return (
      <button type="button" onClick={() => onUse(local.dir)}>
        Use
      </button>
    );
  }
  return (
    <button type="button" className="primary" onClick={onPull} disabled={busy}>
      {local ? 'Resume' : 'Download'}
    </button>
  );
}

function DownloadProgress({ progress, onCancel }: { progress: PullProgress; onCancel: () => void }) {
  const fraction = progress.bytesTotal > 0 ? progress.bytesDone / progress.bytesTotal : null;
  const speed = progress.speedBps > 0 ? `, ${formatBytes(progress.speedBps)}/s` : '';
  const eta = formatEta(progress.etaSeconds);
  return (
    <div className="stack" aria-live="polite" data-testid="hub-progress" style={{ gap: 4 }}>
      <ProgressBar fraction={fraction} label={`Downloading ${progress.repoId}`} />
      <div className="row">
        <span>
          {progress.repoId}: {progress.phase === 'starting' ? 'starting…' : `${formatBytes(progress.bytesDone)} of ${formatBytes(progress.bytesTotal)}${speed}`}
          {eta && `, ${eta}`}
        </span>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
      <span className="help">Cancelling keeps what was downloaded; downloading again resumes.</span>
    </div>
  );
}

function PartialDownloads({ models, busy, onResume }: { models: DownloadedModel[]; busy: boolean; onResume: (m: DownloadedModel) => void }) {
  const partial = models.filter((m) => !m.complete);
  if (!partial.length) return null;
  return (
    <div className="stack" style={{ gap: 4 }} data-testid="hub-partial">
      {partial.map((m) => (
        <div key={m.dir} className="row">
          <span>
            {m.repoId} stopped at {formatBytes(m.bytesDone)} of {formatBytes(m.bytesTotal)} (commit {m.commit.slice(0, 12)})
          </span>
          <button type="button" onClick={() => onResume(m)} disabled={busy}>
            Resume
          </button>
        </div>
      ))}
    </div>
  );
}
