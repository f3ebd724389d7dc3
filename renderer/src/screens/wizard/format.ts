// Plain formatting of sizes and counts for people.
export function formatParams(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(n >= 1e10 ? 0 : 1)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(n >= 1e7 ? 0 : 1)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(0)}k`;
  return String(n);
}

/** Sizes in one unit, GiB, everywhere (the estimator and the trainer count in GiB too). */
export function formatBytes(n: number): string {
  const gib = n / 1024 ** 3;
  if (gib >= 100) return `${gib.toFixed(0)} GiB`;
  if (gib >= 0.95) return `${gib.toFixed(1)} GiB`;
  if (gib >= 0.01) return `${gib.toFixed(2)} GiB`;
  return n > 0 ? 'under 0.01 GiB' : '0 GiB';
}

/** Elapsed seconds as m:ss (a long task's clock beside an indeterminate progress bar). */
export const formatElapsed = (seconds: number) => `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
