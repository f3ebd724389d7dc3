// "Try the demo": the embedded tiny model on the bundled demo data, end to end, with one click.
// The host makes the demo model the first time (a few seconds) and starts the demo-cpu preset;
// the button then opens that run's live dashboard.
import { useState } from 'react';
import { useApi } from '../../api-context';
import { ErrorNote } from '../../components/ErrorNote';
import { toUiError } from '../../components/useCall';
import { navigate } from '../../route';

/** The same demo from a terminal (shown as the fallback when the one-click start fails). */
export const DEMO_COMMAND = 'npx tunedesk demo';

export function DemoButton() {
  const api = useApi();
  const [starting, setStarting] = useState(false);
  const [error, setError] = useState<{ message: string; hint?: string } | null>(null);

  const start = async () => {
    setStarting(true);
    setError(null);
    try {
      const { summary } = await api.invoke('runs.startDemo', {});
      navigate({ screen: 'run', runId: summary.runId });
    } catch (e) {
      const ui = toUiError(e);
      setError({ message: ui.message, hint: ui.hint ?? `Or start it from a terminal in the TuneDesk folder: ${DEMO_COMMAND}` });
    } finally {
      setStarting(false);
    }
  };

  return (
    <span className="demo-button">
      <button type="button" className="primary" onClick={() => void start()} disabled={starting} aria-busy={starting}>
        {starting ? 'Starting the demo…' : 'Try the demo'}
      </button>
      {error && <ErrorNote error={error} />}
    </span>
  );
}
