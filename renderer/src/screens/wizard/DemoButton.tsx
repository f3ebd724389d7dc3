// "Try the demo": the embedded tiny model on the bundled demo data, end to end.
// The one-click start needs a demo call in the contract (the run manager has the pieces:
// services/runs/demo-setup.ts), which does not exist yet. Until it does, the button says how to
// start the same demo from a terminal; that run appears under Runs like any other, live.
import { useState } from 'react';

export const DEMO_COMMAND = 'npx tunedesk demo';

export function DemoButton() {
  const [open, setOpen] = useState(false);
  const [copied, setCopied] = useState(false);
  return (
    <span className="demo-button">
      <button type="button" className="primary" onClick={() => setOpen(!open)} aria-expanded={open}>
        Try the demo
      </button>
      {open && (
        <span className="card demo-popover" role="dialog" aria-label="Start the demo">
          <span>The demo trains a tiny model on the bundled data (about a minute on the CPU). Start it from a terminal in the TuneDesk folder:</span>
          <span className="row" style={{ marginTop: 6 }}>
            <code className="mono">{DEMO_COMMAND}</code>
            <button
              type="button"
              onClick={() => {
                void navigator.clipboard?.writeText(DEMO_COMMAND).then(() => setCopied(true), () => setCopied(false));
              }}
            >
              {copied ? 'Copied' : 'Copy'}
            </button>
          </span>
          <span className="help">It shows up under Runs, with live charts, as soon as it starts.</span>
        </span>
      )}
    </span>
  );
}
