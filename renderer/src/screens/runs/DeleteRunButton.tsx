// Delete a whole run from the runs list: a confirm dialog that names the run and says where it
// goes (the system trash where there is one). Where the host has no trash it says so and offers a
// permanent delete, named as such; a live run cannot be deleted (stop it first).
import { useState } from 'react';
import { useApi } from '../../api-context';
import { ErrorNote } from '../../components/ErrorNote';
import { toUiError } from '../../components/useCall';

type Stage = 'closed' | 'confirm' | 'no-trash' | 'working';

export function DeleteRunButton({ runId, status, onDeleted }: { runId: string; status: string; onDeleted(): void }) {
  const api = useApi();
  const [stage, setStage] = useState<Stage>('closed');
  const [error, setError] = useState<{ message: string; hint?: string } | null>(null);
  const live = status === 'running' || status === 'queued';

  const remove = async (permanent: boolean) => {
    setError(null);
    setStage('working');
    try {
      await api.invoke('runs.delete', { runId, permanent });
      setStage('closed');
      onDeleted();
    } catch (e) {
      if ((e as { code?: string }).code === 'no_trash') return setStage('no-trash');
      setError(toUiError(e));
      setStage('confirm');
    }
  };
  const close = () => {
    setStage('closed');
    setError(null);
  };

  return (
    <>
      <button
        type="button"
        className="danger"
        disabled={live}
        title={live ? `${runId} is ${status}: stop it first` : undefined}
        aria-label={`Delete run ${runId}`}
        onClick={() => setStage('confirm')}
      >
        Delete
      </button>
      {stage !== 'closed' && (
        <div className="modal-backdrop" onKeyDown={(e) => e.key === 'Escape' && close()}>
          <div role="dialog" aria-modal="true" aria-labelledby={`delete-${runId}-title`} className="card stack modal">
            <h2 id={`delete-${runId}-title`}>Delete run {runId}?</h2>
            {stage === 'no-trash' ? (
              <p>
                This system has no trash, so <strong>{runId}</strong> cannot be moved there. Deleting it permanently removes its
                checkpoints, exports and logs for good.
              </p>
            ) : (
              <p>
                <strong>{runId}</strong> with its checkpoints, exports and logs goes to the system trash, where you can restore it.
              </p>
            )}
            <ErrorNote error={error} />
            <div className="row" style={{ justifyContent: 'flex-end' }}>
              <button type="button" onClick={close} autoFocus>
                Cancel
              </button>
              {stage === 'no-trash' ? (
                <button type="button" className="danger" onClick={() => void remove(true)}>
                  Delete {runId} permanently
                </button>
              ) : (
                <button type="button" className="danger" disabled={stage === 'working'} onClick={() => void remove(false)}>
                  Move {runId} to the trash
                </button>
              )}
            </div>
          </div>
        </div>
      )}
    </>
  );
}
