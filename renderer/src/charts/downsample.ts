// Display-only downsampling for long metric series. The raw series is never modified: these
// functions return the INDICES of the points to draw, so hover can still show exact values and
// zooming in recomputes from the full data.

/** Largest-Triangle-Three-Buckets (Steinarsson 2013): keeps the visual shape of a series with
 * `threshold` points. Non-finite y values are skipped (they are gaps, never drawn as zero).
 * xs must be ascending. Returns ascending indices into xs/ys; always keeps first and last. */
export function lttbIndices(xs: ArrayLike<number>, ys: ArrayLike<number | null>, threshold: number): number[] {
  const valid: number[] = [];
  for (let i = 0; i < xs.length; i++) {
    const y = ys[i];
    if (typeof y === 'number' && Number.isFinite(y)) valid.push(i);
  }
  const n = valid.length;
  if (threshold >= n || threshold < 3) return threshold < 3 && n > threshold ? edgeIndices(valid) : valid;

  const out: number[] = [valid[0]!];
  const bucketSize = (n - 2) / (threshold - 2);
  let a = 0; // position (in `valid`) of the previously selected point
  for (let b = 0; b < threshold - 2; b++) {
    // Average of the NEXT bucket is the third vertex of the triangle.
    const nextStart = Math.floor((b + 1) * bucketSize) + 1;
    const nextEnd = Math.min(Math.floor((b + 2) * bucketSize) + 1, n);
    let avgX = 0;
    let avgY = 0;
    for (let j = nextStart; j < nextEnd; j++) {
      const idx = valid[j]!;
      avgX += xs[idx]!;
      avgY += ys[idx] as number;
    }
    const count = Math.max(nextEnd - nextStart, 1);
    avgX /= count;
    avgY /= count;

    const start = Math.floor(b * bucketSize) + 1;
    const end = Math.floor((b + 1) * bucketSize) + 1;
    const ia = valid[a]!;
    const ax = xs[ia]!;
    const ay = ys[ia] as number;
    let best = start;
    let bestArea = -1;
    for (let j = start; j < end; j++) {
      const idx = valid[j]!;
      const area = Math.abs((ax - avgX) * ((ys[idx] as number) - ay) - (ax - xs[idx]!) * (avgY - ay));
      if (area > bestArea) {
        bestArea = area;
        best = j;
      }
    }
    out.push(valid[best]!);
    a = best;
  }
  out.push(valid[n - 1]!);
  return out;
}

function edgeIndices(valid: number[]): number[] {
  if (valid.length === 0) return [];
  return valid.length === 1 ? [valid[0]!] : [valid[0]!, valid[valid.length - 1]!];
}

/** Min-max per bucket: for each of `buckets` equal x-ranges keeps the lowest and the highest point
 * (in x order), so spikes (a loss blow-up) are never smoothed away. Returns ascending indices. */
export function minMaxIndices(xs: ArrayLike<number>, ys: ArrayLike<number | null>, buckets: number): number[] {
  const n = xs.length;
  if (n === 0) return [];
  const x0 = xs[0]!;
  const x1 = xs[n - 1]!;
  const width = (x1 - x0) / Math.max(buckets, 1) || 1;
  const out: number[] = [];
  let bucket = -1;
  let lo = -1;
  let hi = -1;
  const flush = () => {
    if (lo < 0) return;
    if (lo === hi) out.push(lo);
    else out.push(Math.min(lo, hi), Math.max(lo, hi));
  };
  for (let i = 0; i < n; i++) {
    const y = ys[i];
    if (typeof y !== 'number' || !Number.isFinite(y)) continue;
    const b = Math.min(Math.floor((xs[i]! - x0) / width), buckets - 1);
    if (b !== bucket) {
      flush();
      bucket = b;
      lo = i;
      hi = i;
    } else {
      if (y < (ys[lo] as number)) lo = i;
      if (y > (ys[hi] as number)) hi = i;
    }
  }
  flush();
  return out;
}

/** First index with xs[i] >= x (xs ascending); xs.length when none. */
export function lowerBound(xs: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index range [start, end) of the points inside [from, to], widened by one point on each side
 * so the drawn line reaches the edges of a zoomed view. */
export function visibleRange(xs: ArrayLike<number>, from: number, to: number): [number, number] {
  const start = Math.max(lowerBound(xs, from) - 1, 0);
  const end = Math.min(lowerBound(xs, to) + 1 + (xs[lowerBound(xs, to)] === to ? 1 : 0), xs.length);
  return [start, end];
}
