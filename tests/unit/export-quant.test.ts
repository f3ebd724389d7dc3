// GGUF quantisation choice: the TS CLI's --quant, the trainer argv, and the contract.
import { describe, expect, it } from 'vitest';
import { quantChoice } from '../../electron/cli/commands/export';
import { UsageError } from '../../electron/cli/command';
import { exportArgs } from '../../electron/services/export/export-service';
import { calls } from '../../electron/shared/contract';

describe('--quant', () => {
  it('implies gguf and becomes the dtype', () => {
    expect(quantChoice({ quant: 'q4_0' })).toEqual({ dtype: 'q4_0', format: 'gguf' });
    expect(quantChoice({ quant: 'q5_0', format: 'gguf' })).toEqual({ dtype: 'q5_0', format: 'gguf' });
    expect(quantChoice({ dtype: 'fp16', format: 'hf' })).toEqual({ dtype: 'fp16', format: 'hf' });
  });

  it('refuses an unknown type, hf, or a second dtype', () => {
    expect(() => quantChoice({ quant: 'q3_k' })).toThrow(/--quant must be one of q8_0, q5_0, q4_0/);
    expect(() => quantChoice({ quant: 'q4_0', format: 'hf' })).toThrow(UsageError);
    expect(() => quantChoice({ quant: 'q4_0', dtype: 'fp16' })).toThrow(/not both/);
  });

  it('reaches the trainer as --dtype', () => {
    expect(exportArgs({ checkpoint: '/c', dtype: 'q4_0', format: 'gguf' })).toEqual(['export', '--checkpoint', '/c', '--dtype', 'q4_0', '--format', 'gguf']);
  });

  it('is accepted by export.start for q5_0 and q4_0, and unknown types are refused', () => {
    const schema = calls['export.start'].request;
    expect(schema.safeParse({ runId: 'r1', format: 'gguf', dtype: 'q4_0' }).success).toBe(true);
    expect(schema.safeParse({ runId: 'r1', format: 'gguf', dtype: 'q5_0' }).success).toBe(true);
    expect(schema.safeParse({ runId: 'r1', format: 'gguf', dtype: 'q2_k' }).success).toBe(false);
  });
});
