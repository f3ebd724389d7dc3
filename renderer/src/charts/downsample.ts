// Display-only downsampling for long metric series. The raw series is never modified: these
// functions return the INDICES of the points to draw, so hover can still show exact values and
// zooming in recomputes from the full data.

/** Largest-Triangle-Three-Buckets (Steinarsson 2013): keeps the visual shape of a series with
 * `threshold` points. Non-finite y values are skipped (they are gaps, never drawn as zero).
 * xs must be ascending. Returns ascending indices into xs/ys; always keeps first and last. */
export function lttbIndices(xs: ArrayLike<number>, ys: ArrayLike<number | null>, threshold: number): number[] {
  return lttbRange(toFloat64(xs), toFloat64(ys), 0, xs.length, threshold);
}

/** Copies numbers into a Float64Array, null and non-finite values as NaN. Typed arrays keep the
 * per-frame work of zooming (re-downsampling 100k points) in the low milliseconds. */
export function toFloat64(values: ArrayLike<number | null>): Float64Array {
  if (values instanceof Float64Array) return values;
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    out[i] = typeof v === 'number' && Number.isFinite(v) ? v : NaN;
  }
  return out;
}

/** LTTB over the index range [start, end) of typed arrays (NaN = gap), without copying. */
export function lttbRange(xs: Float64Array, ys: Float64Array, start: number, end: number, threshold: number): number[] {
  let first = start;
  while (first < end && Number.isNaN(ys[first]!)) first++;
  let last = end - 1;
  while (last >= first && Number.isNaN(ys[last]!)) last--;
  if (first > last) return [];
  const n = last - first + 1;
  if (threshold >= n) {
    const all: number[] = [];
    for (let i = first; i <= last; i++) if (!Number.isNaN(ys[i]!)) all.push(i);
    return all;
  }
  if (threshold < 3) return first === last ? [first] : [first, last];

  const out: number[] = [first];
  const bucketSize = (n - 2) / (threshold - 2);
  let a = first; // the previously selected point
  for (let b = 0; b < threshold - 2; b++) {
    // The average of the NEXT bucket is the third vertex of the triangle.
    const nextStart = first + Math.floor((b + 1) * bucketSize) + 1;
    const nextEnd = Math.min(first + Math.floor((b + 2) * bucketSize) + 1, last + 1);
    let avgX = 0;
    let avgY = 0;
    let count = 0;
    for (let j = nextStart; j < nextEnd; j++) {
      const y = ys[j]!;
      if (Number.isNaN(y)) continue;
      avgX += xs[j]!;
      avgY += y;
      count++;
    }
    if (count === 0) {
      avgX = xs[last]!;
      avgY = ys[last]!;
    } else {
      avgX /= count;
      avgY /= count;
    }
    const bStart = first + Math.floor(b * bucketSize) + 1;
    const bEnd = first + Math.floor((b + 1) * bucketSize) + 1;
    const ax = xs[a]!;
    const ay = ys[a]!;
    let best = -1;
    let bestArea = -1;
    for (let j = bStart; j < bEnd; j++) {
      const y = ys[j]!;
      if (Number.isNaN(y)) continue;
      const area = Math.abs((ax - avgX) * (y - ay) - (ax - xs[j]!) * (avgY - ay));
      if (area > bestArea) {
        bestArea = area;
        best = j;
      }
    }
    if (best >= 0) {
      out.push(best);
      a = best;
    }
  }
  out.push(last);
  return out;
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
