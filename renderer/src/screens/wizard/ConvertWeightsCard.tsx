// The model step's one-click convert-weights: a folder with only pickle (.bin) weights gets a
// safetensors copy beside them (the host runs `python -m tunedesk convert-weights`), then the model
// is read again so the need goes away. Shown once, for every family (ChatGLM-6B's card included).
import { useState } from 'react';
import type { ConvertWeightsResult, ModelInfo } from '../../../../electron/shared/contract/models';
import { useApi } from '../../api-context';
import { ErrorNote } from '../../components/ErrorNote';
import { ProgressBar } from '../../components/ProgressBar';
import { toUiError } from '../../components/useCall';
import { formatBytes, formatElapsed } from './format';
import { useElapsedSeconds } from '../../components/useElapsedSeconds';

/** The inspection's need that this card answers (electron/services/models/inspect-model.ts). */
export const CONVERT_WEIGHTS_NEED = 'needs convert-weights';

export const needsConvertWeights = (model: ModelInfo) => model.needs.some((n) => n.startsWith(CONVERT_WEIGHTS_NEED));

export function ConvertWeightsCard({ model, onConverted }: { model: ModelInfo; onConverted: () => Promise<void> }) {
  const api = useApi();
  const [busySince, setBusySince] = useState<number | null>(null);
  const [error, setError] = useState<{ message: string; hint?: string } | null>(null);
  const [done, setDone] = useState<ConvertWeightsResult | null>(null);

  const elapsed = useElapsedSeconds(busySince);

  const convert = async () => {
    setError(null);
    setBusySince(Date.now());
    try {
      setDone(await api.invoke('models.convertWeights', { modelDir: model.dir }));
      await onConverted(); // read the model again: the need goes, the card and estimates update
    } catch (e) {
      setError(toUiError(e));
    } finally {
      setBusySince(null);
    }
  };

  const needed = needsConvertWeights(model);
  if (!needed && !done) return null;
  const busy = busySince !== null;
  return (
    <section className="card stack" aria-label="Safetensors copy of the weights" data-testid="convert-weights-card">
      <h3 style={{ margin: 0 }}>{needed ? 'The weights need a safetensors copy' : 'Safetensors copy written'}</h3>
      {needed ? (
        <>
          <p style={{ margin: 0 }}>
            This model&apos;s weights are pickle files (.bin), and loading a pickle file can run code, so TuneDesk does not load them. It can write
            a safetensors copy beside them, reading tensors only: nothing in the files runs, and the .bin files stay as they are. This needs
            about as much free disk space as the .bin files take{model.sizeOnDiskBytes > 0 ? ` (up to ${formatBytes(model.sizeOnDiskBytes)} here)` : ''}.
          </p>
          <div className="row">
            <button type="button" className="primary" onClick={() => void convert()} disabled={busy} aria-busy={busy}>
              Write a safetensors copy
            </button>
          </div>
          {busy && (
            <div className="stack" aria-live="polite" data-testid="convert-weights-progress" style={{ gap: 4 }}>
              <ProgressBar fraction={null} label="Writing the safetensors copy" />
              <span className="help">
                Reading the tensors and writing the copy; big models take several minutes. <span className="num">{formatElapsed(elapsed)}</span>
              </span>
            </div>
          )}
          <ErrorNote error={error} title="Could not write the safetensors copy" />
        </>
      ) : (
        done && (
          <div className="alert ok" data-testid="convert-weights-done">
            {done.converted
              ? `Wrote ${done.shards.join(', ')} beside ${done.sources.join(', ')} (${done.tensors.toLocaleString('en')} tensors, ${formatBytes(done.bytes)}). ` +
                'TuneDesk loads the copy from now on; the .bin files are unchanged, and you may delete them to free space.'
              : `Nothing was written (${done.note}).`}
          </div>
        )
      )}
    </section>
  );
}
