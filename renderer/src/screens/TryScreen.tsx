export function TryScreen(_props: { runId?: string; checkpoint?: string }) {
  return <p className="help">Try: waiting for the predict call.</p>;
}
