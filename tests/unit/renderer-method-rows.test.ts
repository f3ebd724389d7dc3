// The Method step's pure helpers: bars against the budget and the flags a recommended plan sets.
import { describe, expect, it } from 'vitest';
import type { RecommendationRow } from '../../electron/shared/contract/recommend';
import { memoryBars, methodToConfig } from '../../renderer/src/screens/wizard/method-rows';
import { formatBytes } from '../../renderer/src/screens/wizard/format';

const GB = 1024 ** 3;
const row = (perGpuGb: number, verdict: RecommendationRow['verdict']) =>
  ({ estimate: { perGpuBytes: perGpuGb * GB }, verdict }) as unknown as RecommendationRow;

describe('memoryBars', () => {
  it('scales bars to the larger of budget and estimates, with the budget line on the same scale', () => {
    const bars = memoryBars([row(12, 'fits'), row(20, 'tight'), row(48, 'does-not-fit'), row(80, 'unavailable')], 24 * GB);
    expect(bars.map((b) => b.fraction)).toEqual([0.15, 0.25, 0.6, 1]);
    expect(bars.every((b) => b.budgetAt === 0.3)).toBe(true);
    expect(bars.map((b) => b.tone)).toEqual(['ok', 'warn', 'bad', 'off']);
  });
  it('without a known budget there is no budget line', () => {
    expect(memoryBars([row(10, 'fits')], null)).toEqual([{ fraction: 1, budgetAt: null, tone: 'ok' }]);
  });
});

describe('methodToConfig', () => {
  it('maps each recommended method to the trainer flags', () => {
    expect(methodToConfig({ kind: 'lora', rank: 16, targets: ['query_key_value'] })).toEqual({ train_type: 'lora', lora_dim: 16, lora_module_name: 'query_key_value' });
    expect(methodToConfig({ kind: 'lora', rank: 8, targets: ['all-linear'] })).toEqual({ train_type: 'lora', lora_dim: 8, lora_module_name: null });
    expect(methodToConfig({ kind: 'freeze', trainableLayers: 4 })).toEqual({ train_type: 'freeze', trainable_layers: 4 });
    expect(methodToConfig({ kind: 'ptuning', version: 1, preSeqLen: 16, projection: false })).toEqual({
      train_type: 'ptuning',
      ptuning_version: 1,
      pre_seq_len: 16,
      prefix_projection: false,
    });
    expect(methodToConfig({ kind: 'full' })).toEqual({ train_type: 'all' });
  });
});

describe('formatBytes', () => {
  it('one unit, GiB, and never "0.0"', () => {
    expect(formatBytes(24 * GB)).toBe('24.0 GiB');
    expect(formatBytes(150 * GB)).toBe('150 GiB');
    expect(formatBytes(0.36 * GB)).toBe('0.36 GiB');
    expect(formatBytes(1024 ** 2)).toBe('under 0.01 GiB');
    expect(formatBytes(0)).toBe('0 GiB');
  });
});
