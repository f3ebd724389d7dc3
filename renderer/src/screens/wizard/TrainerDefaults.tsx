// What the trainer does by default for the recommended plan (bf16, packing, chunked loss,
// gradient checkpointing), each with its reason: the run's speed and memory come from these, so
// the user sees them before Start rather than discovering them in run.json.
import type { Recommendation } from '../../../../electron/shared/contract/recommend';

export function TrainerDefaults({ defaults }: { defaults: NonNullable<Recommendation['trainerDefaults']> }) {
  if (defaults.length === 0) return null;
  return (
    <details className="trainer-defaults" data-testid="trainer-defaults">
      <summary>What the trainer does by default: {defaults.map((d) => `${d.setting} ${d.value}`).join(', ')}</summary>
      <ul className="help">
        {defaults.map((d) => (
          <li key={d.setting}>
            <strong>{d.setting}</strong> {d.value}: {d.why}
          </li>
        ))}
      </ul>
    </details>
  );
}
