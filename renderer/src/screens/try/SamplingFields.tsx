// Temperature, top-p and max new tokens for the Try chat, each with its problem where it is typed.
import type { SamplingSettings } from './chat-turns';

export function SamplingFields({ value, onChange, problems }: { value: SamplingSettings; onChange(v: SamplingSettings): void; problems: Partial<Record<keyof SamplingSettings, string>> }) {
  const field = (key: keyof SamplingSettings, label: string, help: string, step: string) => (
    <div className="field" style={{ maxWidth: 220 }}>
      <label htmlFor={`sampling-${key}`} className="help">
        {label}
      </label>
      <input
        id={`sampling-${key}`}
        type="number"
        step={step}
        value={Number.isNaN(value[key]) ? '' : value[key]}
        aria-invalid={problems[key] ? true : undefined}
        aria-describedby={`sampling-${key}-help`}
        onChange={(e) => onChange({ ...value, [key]: e.target.value === '' ? Number.NaN : Number(e.target.value) })}
      />
      <small id={`sampling-${key}-help`} className={problems[key] ? 'field-error' : 'help'}>
        {problems[key] ?? help}
      </small>
    </div>
  );
  return (
    <div className="row" style={{ alignItems: 'flex-start' }}>
      {field('temperature', 'Temperature', '0: greedy, the same answer every time; higher: more varied.', '0.1')}
      {field('topP', 'Top-p', 'Sample only from the most likely tokens that add up to this share.', '0.05')}
      {field('maxNewTokens', 'Max new tokens', 'The answer stops after this many tokens.', '1')}
    </div>
  );
}
