// One GPU as a card: name, memory used/total as a bar, utilization and temperature. Unknown values
// (nvidia-smi's [N/A]) are shown as unknown, never as 0.
import { ProgressBar } from '../../components/ProgressBar';

export interface GpuCardData {
  key: string;
  name: string;
  memoryUsedBytes: number | null;
  memoryTotalBytes: number | null;
  utilizationPct: number | null;
  temperatureC: number | null;
  note?: string;
}

export const GB = 1024 ** 3;
export const fmtGb = (bytes: number | null) => (bytes === null ? 'unknown' : `${(bytes / GB).toFixed(1)} GB`);

export function GpuCard({ gpu }: { gpu: GpuCardData }) {
  const fraction = gpu.memoryUsedBytes !== null && gpu.memoryTotalBytes ? gpu.memoryUsedBytes / gpu.memoryTotalBytes : null;
  const tone = fraction === null ? undefined : fraction > 0.9 ? 'bad' : fraction > 0.7 ? 'warn' : 'ok';
  return (
    <article className="card" aria-label={`GPU ${gpu.name}`} data-testid="gpu-card">
      <h3>{gpu.name}</h3>
      <p className="num help">
        Memory {fmtGb(gpu.memoryUsedBytes)} used of {fmtGb(gpu.memoryTotalBytes)}
      </p>
      <ProgressBar fraction={fraction} label={`${gpu.name} memory used`} tone={tone} />
      <dl className="kv" style={{ marginTop: 8 }}>
        <dt>Utilization</dt>
        <dd>{gpu.utilizationPct === null ? 'unknown' : `${gpu.utilizationPct}%`}</dd>
        <dt>Temperature</dt>
        <dd>{gpu.temperatureC === null ? 'unknown' : `${gpu.temperatureC} °C`}</dd>
      </dl>
      {gpu.note && <p className="help">{gpu.note}</p>}
    </article>
  );
}
