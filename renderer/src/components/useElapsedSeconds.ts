// Seconds since a long host call started, ticking once a second while it runs: a slow install or
// conversion shows that it is still alive even where no progress figure exists.
import { useEffect, useState } from 'react';

/** Whole seconds since `since` (a Date.now() value), updated every second; 0 while `since` is null. */
export function useElapsedSeconds(since: number | null): number {
  // The tick remembers which start it counts from, so a new start never shows the last one's time.
  const [tick, setTick] = useState<{ since: number; seconds: number } | null>(null);
  useEffect(() => {
    if (since === null) return;
    const timer = setInterval(() => setTick({ since, seconds: Math.round((Date.now() - since) / 1000) }), 1000);
    return () => clearInterval(timer);
  }, [since]);
  return since !== null && tick?.since === since ? tick.seconds : 0;
}
