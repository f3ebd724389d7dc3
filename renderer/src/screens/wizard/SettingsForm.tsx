// The trainer settings of the chosen method: the basic ones for newcomers, all of them with the
// expert switch. Each field shows its own problem next to it.
import { useSettingsStore } from '../../shared-state/settings-store';
import { SETTINGS, derivedMaxSrcLen, parseSettingInput, validateDraft, visibleSettings, type SettingSpec } from '../../shared-state/train-settings';
import { useWizardStore } from './wizard-store';

export function SettingsForm() {
  const draft = useWizardStore((s) => s.draft);
  const set = useWizardStore((s) => s.set);
  const presetId = useWizardStore((s) => s.presetId);
  const expert = useSettingsStore((s) => s.expert);
  const errors = validateDraft(draft);
  const visible = visibleSettings(String(draft.train_type ?? 'lora'), expert);
  // A setting whose problem blocks the run is shown even when Expert settings are off: an error
  // is never reported about a field the user cannot see.
  const specs = SETTINGS.filter((spec) => visible.includes(spec) || errors[spec.key] !== undefined);
  return (
    <div className="grid" style={{ gridTemplateColumns: 'repeat(auto-fill, minmax(230px, 1fr))' }}>
      {specs.map((spec) => (
        // Re-mounted when a preset is applied, so the typed-in text follows the new values.
        <SettingField
          key={`${spec.key}-${presetId ?? ''}`}
          spec={spec}
          value={draft[spec.key]}
          error={errors[spec.key]}
          placeholder={spec.key === 'max_src_len' ? `auto: ${derivedMaxSrcLen(draft.max_len)}` : undefined}
          onChange={(v) => set(spec.key, v)}
        />
      ))}
    </div>
  );
}

function SettingField({
  spec,
  value,
  error,
  placeholder,
  onChange,
}: {
  spec: SettingSpec;
  value: unknown;
  error?: string;
  /** Shown while the field is empty: the value the run gets then. */
  placeholder?: string;
  onChange(v: ReturnType<typeof parseSettingInput>): void;
}) {
  const id = `setting-${spec.key}`;
  // The label is only the setting's name (its accessible name); the help and any problem are its
  // description, so screen readers read "Learning rate, edit, Step size; too high...".
  const help = (
    <span id={`${id}-help`} className="help" style={{ fontSize: '0.8rem', color: error ? 'var(--bad)' : undefined }}>
      {error ?? spec.help}
    </span>
  );
  if (spec.type === 'bool') {
    return (
      <div className="row" style={{ gap: 6, alignItems: 'flex-start' }}>
        <input id={id} type="checkbox" checked={value === true} aria-describedby={`${id}-help`} onChange={(e) => onChange(e.target.checked)} />
        <span className="stack" style={{ gap: 0 }}>
          <label htmlFor={id}>{spec.label}</label>
          {help}
        </span>
      </div>
    );
  }
  const text = value === null || value === undefined ? '' : String(value);
  return (
    <div className="field">
      <label htmlFor={id} style={{ color: 'var(--muted)' }}>
        {spec.label}
      </label>
      {spec.type === 'choice' ? (
        <select id={id} value={text} aria-describedby={`${id}-help`} onChange={(e) => onChange(parseSettingInput(spec, e.target.value))}>
          {spec.choices!.map((c) => (
            <option key={c} value={c}>
              {c === '' ? 'default' : c}
            </option>
          ))}
        </select>
      ) : (
        <input
          id={id}
          defaultValue={text}
          placeholder={placeholder}
          inputMode={spec.type === 'text' ? 'text' : 'decimal'}
          aria-invalid={error ? true : undefined}
          aria-describedby={`${id}-help`}
          onChange={(e) => onChange(parseSettingInput(spec, e.target.value))}
        />
      )}
      {help}
    </div>
  );
}
