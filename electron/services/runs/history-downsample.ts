// Downsampling a run's metric history for the charts, incrementally: events arrive in file order;
// each series keeps, per bucket of consecutive events, its minimum, its maximum and its last value,
// so peaks and the final value are exact however long the run. When there are more buckets than
// wanted, neighbours merge pairwise (the bucket width doubles): memory and answer stay bounded.
// Buckets count events, not steps, so a resumed run's step restart reads the same as in the file.
import type { TrainerEvent } from '../../shared/events';

type ValuedEvent = Extract<TrainerEvent, { type: 'metrics' } | { type: 'eval' }>;

interface Kept {
  seq: number;
  event: ValuedEvent;
  value: number;
}

interface Bucket {
  last: { seq: number; event: ValuedEvent };
  min: Map<string, Kept>;
  max: Map<string, Kept>;
}

function mergeInto(a: Bucket, b: Bucket): Bucket {
  const min = new Map(a.min);
  const max = new Map(a.max);
  for (const [key, kept] of b.min) if (!min.has(key) || kept.value < min.get(key)!.value) min.set(key, kept);
  for (const [key, kept] of b.max) if (!max.has(key) || kept.value > max.get(key)!.value) max.set(key, kept);
  return { last: b.last.seq > a.last.seq ? b.last : a.last, min, max };
}

export class SeriesDownsampler {
  private buckets: Bucket[] = [];
  private width = 1;
  private count = 0;

  constructor(private readonly maxBuckets = 1000) {}

  /** Events seen so far. */
  get seen(): number {
    return this.count;
  }

  add(seq: number, event: ValuedEvent): void {
    const index = Math.floor(this.count / this.width);
    this.count += 1;
    let bucket = this.buckets[index];
    if (!bucket) {
      bucket = { last: { seq, event }, min: new Map(), max: new Map() };
      this.buckets[index] = bucket;
    }
    bucket.last = { seq, event };
    for (const key in event.values) {
      const value = event.values[key];
      if (typeof value !== 'number') continue;
      const min = bucket.min.get(key);
      if (!min || value < min.value) bucket.min.set(key, { seq, event, value });
      const max = bucket.max.get(key);
      if (!max || value > max.value) bucket.max.set(key, { seq, event, value });
    }
    if (this.buckets.length > this.maxBuckets) this.halve();
  }

  private halve(): void {
    const merged: Bucket[] = [];
    for (let i = 0; i < this.buckets.length; i += 2) {
      const a = this.buckets[i]!;
      const b = this.buckets[i + 1];
      merged.push(b ? mergeInto(a, b) : a);
    }
    this.buckets = merged;
    this.width *= 2;
  }

  /**
   * The kept points as events in file order: a bucket's last event whole, and each series' min and
   * max as events carrying only the values kept from them (a chart leaves out a missing series).
   */
  points(): { seq: number; event: ValuedEvent }[] {
    const bySeq = new Map<number, { event: ValuedEvent; keys: Set<string> | 'all' }>();
    const keep = (seq: number, event: ValuedEvent, key: string | 'all') => {
      const entry = bySeq.get(seq) ?? { event, keys: new Set<string>() };
      if (key === 'all') entry.keys = 'all';
      else if (entry.keys !== 'all') entry.keys.add(key);
      bySeq.set(seq, entry);
    };
    for (const bucket of this.buckets) {
      keep(bucket.last.seq, bucket.last.event, 'all');
      for (const [key, kept] of bucket.min) keep(kept.seq, kept.event, key);
      for (const [key, kept] of bucket.max) keep(kept.seq, kept.event, key);
    }
    return [...bySeq.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([seq, { event, keys }]) => ({
        seq,
        event: keys === 'all' ? event : { ...event, values: Object.fromEntries([...keys].map((k) => [k, event.values[k] ?? null])) },
      }));
  }
}
