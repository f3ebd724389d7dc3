// Plain formatting of sizes and counts for people.
export function formatParams(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(n >= 1e10 ? 0 : 1)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(n >= 1e7 ? 0 : 1)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(0)}k`;
  return String(n);
}

export function formatBytes(n: number): string {
  const gib = n / 1024 ** 3;
  if (gib >= 1) return `${gib.toFixed(gib >= 100 ? 0 : 1)} GB`;
  const mib = n / 1024 ** 2;
  if (mib >= 1) return `${mib.toFixed(mib >= 100 ? 0 : 1)} MB`;
  return `${Math.max(Math.round(n / 1024), 0)} KB`;
}

/** Elapsed seconds as m:ss (a long task's clock beside an indeterminate progress bar). */
export const formatElapsed = (seconds: number) => `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
