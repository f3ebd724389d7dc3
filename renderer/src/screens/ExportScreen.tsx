export function ExportScreen(_props: { runId?: string; checkpoint?: string }) {
  return <p className="help">Export: waiting for the export call.</p>;
}
