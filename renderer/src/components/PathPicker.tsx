// Choosing a local file or folder. In the desktop app "Choose…" opens the system dialog; in browser
// mode the user types the absolute path (the server runs on this machine) and the host checks it.
// Either way the host records the choice, which is what lets the other calls read it.
import { useId, useState } from 'react';
import { useApi } from '../api-context';
import { ErrorNote } from './ErrorNote';
import { toUiError } from './useCall';

export interface PathPickerProps {
  label: string;
  kind: 'file' | 'directory';
  purpose: 'model' | 'data' | 'output' | 'other';
  value: string;
  onChange(path: string): void;
  /** Called on every keystroke: what was reported about the last path no longer applies. */
  onEdit?(text: string): void;
  placeholder?: string;
}

export function PathPicker({ label, kind, purpose, value, onChange, onEdit, placeholder }: PathPickerProps) {
  const api = useApi();
  const id = useId();
  const [text, setText] = useState(value);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ message: string; hint?: string } | null>(null);

  const choose = async () => {
    setBusy(true);
    setError(null);
    try {
      const typed = text.trim();
      const r = await api.invoke('system.pickPath', { kind, purpose, title: label, ...(typed ? { typedPath: typed } : {}) });
      if (r.path) {
        setText(r.path);
        onChange(r.path);
      }
    } catch (e) {
      setError(toUiError(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="stack" style={{ gap: 6 }}>
      <label htmlFor={id}>{label}</label>
      <div className="row">
        <input
          id={id}
          value={text}
          placeholder={placeholder ?? (kind === 'directory' ? '/path/to/folder' : '/path/to/file')}
          onChange={(e) => {
            setText(e.target.value);
            onEdit?.(e.target.value);
          }}
          onKeyDown={(e) => {
            if (e.key === 'Enter') void choose();
          }}
          style={{ flex: 1, minWidth: 320 }}
          spellCheck={false}
        />
        <button type="button" onClick={choose} disabled={busy}>
          {api.mode === 'browser' ? 'Use this path' : 'Choose…'}
        </button>
      </div>
      <ErrorNote error={error} />
    </div>
  );
}
