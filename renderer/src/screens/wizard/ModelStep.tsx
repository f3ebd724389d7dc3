// Wizard step 1: the model. Pick a local Hugging Face folder; the inspection shows what it is and
// warns about remote code or a ChatGLM import it needs first; pickle-only weights get the one-click
// safetensors copy; ChatGLM-6B gets its legacy-environment card.
import { useState } from 'react';
import type { ModelInfo } from '../../../../electron/shared/contract/models';
import { useApi } from '../../api-context';
import { ErrorNote } from '../../components/ErrorNote';
import { PathPicker } from '../../components/PathPicker';
import { toUiError } from '../../components/useCall';
import { useWizardStore } from './wizard-store';
import { CONVERT_WEIGHTS_NEED, ConvertWeightsCard } from './ConvertWeightsCard';
import { formatBytes, formatParams } from './format';
import { HubDownloadCard } from './HubDownloadCard';
import { IMPORT_CHATGLM_NEED, ImportChatglmCard } from './ImportChatglmCard';
import { LegacyChatglmCard } from './LegacyChatglmCard';

export function ModelStep() {
  const api = useApi();
  const dir = useWizardStore((s) => s.draft.model_name_or_path);
  const model = useWizardStore((s) => s.model);
  const setModel = useWizardStore((s) => s.setModel);
  const [error, setError] = useState<{ message: string; hint?: string } | null>(null);
  const [busy, setBusy] = useState(false);

  const inspect = async (path: string) => {
    setBusy(true);
    setError(null);
    setModel(path, null);
    try {
      setModel(path, await api.invoke('models.inspect', { dir: path }));
    } catch (e) {
      setError(toUiError(e));
    } finally {
      setBusy(false);
    }
  };

  // After a conversion: read the same folder again in place (the cards stay), unless the user chose another meanwhile.
  const reinspect = async (path: string) => {
    const info = await api.invoke('models.inspect', { dir: path });
    if (useWizardStore.getState().draft.model_name_or_path === path) setModel(path, info);
  };

  return (
    <div className="stack">
      <p className="help">Choose the folder of a Hugging Face model on this machine (the one with config.json), or download one below.</p>
      {/* Keyed by the folder: a download chosen below shows its path here too. */}
      <PathPicker key={`picker:${typeof dir === 'string' ? dir : ''}`} label="Model folder" kind="directory" purpose="model" value={typeof dir === 'string' ? dir : ''} onChange={inspect} />
      {busy && <p className="help">Reading the model…</p>}
      <ErrorNote error={error} title="This folder cannot be used" />
      {model && <ModelCard model={model} />}
      {model && typeof dir === 'string' && (
        <ConvertWeightsCard key={`convert:${model.dir}`} model={model} onConverted={() => reinspect(dir)} />
      )}
      {model && <ImportChatglmCard key={`import:${model.dir}`} model={model} onImported={(outDir) => inspect(outDir)} />}
      {model?.chatglmGeneration === 'chatglm-6b' && <LegacyChatglmCard key={model.dir} modelDir={model.dir} />}
      <HubDownloadCard onDownloaded={(modelDir) => void inspect(modelDir)} />
    </div>
  );
}

export function ModelCard({ model }: { model: ModelInfo }) {
  return (
    <section className="card" aria-label="Model inspection" data-testid="model-card">
      <h3>
        {model.family} {model.architecture ? <span className="help">({model.architecture})</span> : null}
      </h3>
      <dl className="kv">
        <dt>Parameters</dt>
        <dd>
          {formatParams(model.params)} {model.paramsSource === 'config' && <span className="help">(from config.json)</span>}
        </dd>
        <dt>Size on disk</dt>
        <dd>{formatBytes(model.sizeOnDiskBytes)}</dd>
        <dt>Layers</dt>
        <dd>
          {model.arch.layers} × hidden {model.arch.hidden}, {model.arch.heads} heads
        </dd>
        {model.dtype && (
          <>
            <dt>Weights</dt>
            <dd>{model.dtype}</dd>
          </>
        )}
      </dl>
      {model.remoteCode && (
        <div className="alert" role="alert" style={{ marginTop: 8 }}>
          This model asks to run its own Python code ({Object.keys(model.remoteCode).join(', ')}).{' '}
          {model.chatglmGeneration === 'chatglm-6b'
            ? 'TuneDesk runs it only in the separate legacy environment below, and only after you agree to its files.'
            : 'TuneDesk never runs it; it uses its own implementation where one exists.'}
        </div>
      )}
      {/* Said once, below, with what to do: pickle-only weights in the convert-weights card, ChatGLM2/3's import in its card, and
          ChatGLM-6B's legacy environment in its card with the files and the agreement. */}
      {model.needs
        .filter((n) => !n.startsWith(CONVERT_WEIGHTS_NEED) && !n.startsWith(IMPORT_CHATGLM_NEED))
        .filter((n) => model.chatglmGeneration !== 'chatglm-6b' || !n.startsWith('legacy environment'))
        .map((n) => (
        <div key={n} className="alert" role="alert" style={{ marginTop: 8 }}>
          {n}
        </div>
      ))}
      {model.notes.map((n) => (
        <p key={n} className="help">
          {n}
        </p>
      ))}
    </section>
  );
}
