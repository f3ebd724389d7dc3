// A labelled progress bar (role=progressbar), determinate when fraction is a number.
export function ProgressBar({ fraction, label, tone }: { fraction: number | null; label: string; tone?: 'ok' | 'warn' | 'bad' }) {
  const pct = fraction === null ? null : Math.round(Math.min(Math.max(fraction, 0), 1) * 1000) / 10;
  return (
    <div
      className={`bar${tone ? ` ${tone}` : ''}`}
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={pct ?? undefined}
    >
      <div style={{ width: `${pct ?? 100}%`, opacity: pct === null ? 0.35 : 1 }} />
    </div>
  );
}
