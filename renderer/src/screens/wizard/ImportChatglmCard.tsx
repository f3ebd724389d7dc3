// The model step's one-click import-chatglm: a ChatGLM2/3 checkpoint (downloaded from the Hub or
// picked) becomes a native transformers glm model in the data folder, which is then chosen. The
// checkpoint's own code never runs; the user starts it with the button.
import { useState } from 'react';
import type { ModelInfo } from '../../../../electron/shared/contract/models';
import { useApi } from '../../api-context';
import { ErrorNote } from '../../components/ErrorNote';
import { ProgressBar } from '../../components/ProgressBar';
import { toUiError } from '../../components/useCall';
import { useElapsedSeconds } from '../../components/useElapsedSeconds';
import { formatElapsed } from './format';

export const IMPORT_CHATGLM_NEED = 'needs import-chatglm';

export function ImportChatglmCard({ model, onImported }: { model: ModelInfo; onImported: (outDir: string) => Promise<void> }) {
  const api = useApi();
  const [busySince, setBusySince] = useState<number | null>(null);
  const [error, setError] = useState<{ message: string; hint?: string } | null>(null);
  const elapsed = useElapsedSeconds(busySince);
  if (!model.needs.some((n) => n.startsWith(IMPORT_CHATGLM_NEED))) return null;

  const run = async () => {
    setError(null);
    setBusySince(Date.now());
    try {
      const result = await api.invoke('models.importChatglm', { modelDir: model.dir });
      await onImported(result.outDir);
    } catch (e) {
      setError(toUiError(e));
    } finally {
      setBusySince(null);
    }
  };
  const busy = busySince !== null;
  return (
    <section className="card stack" aria-label="Import the ChatGLM checkpoint" data-testid="import-chatglm-card">
      <h3 style={{ margin: 0 }}>Convert this {model.chatglmGeneration === 'chatglm2-6b' ? 'ChatGLM2' : 'ChatGLM3'} checkpoint once</h3>
      <p style={{ margin: 0 }}>
        TuneDesk trains ChatGLM2/3 as native transformers glm models. The import reads the weights and the tokenizer (never the checkpoint&apos;s
        own code) and writes the converted model into the data folder, which is then chosen here. About as much free disk as the model takes.
      </p>
      <div className="row">
        <button type="button" className="primary" onClick={() => void run()} disabled={busy} aria-busy={busy}>
          Import with import-chatglm
        </button>
      </div>
      {busy && (
        <div className="stack" aria-live="polite" style={{ gap: 4 }}>
          <ProgressBar fraction={null} label="Importing the checkpoint" />
          <span className="help">Importing… {formatElapsed(elapsed)}</span>
        </div>
      )}
      <ErrorNote error={error} title="The import failed" />
    </section>
  );
}
