// "Try the demo": the embedded tiny model on the bundled demo data, end to end, with one click.
export function DemoButton() {
  return (
    <button type="button" className="primary" disabled title="waiting for the demo call of the run manager">
      Try the demo
    </button>
  );
}
