import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { longestLines, memoryLadder } from '../../electron/services/runs/preflight';

describe('preflight memory ladder', () => {
  it('goes from the mildest change to a lighter method, keeping the effective batch', () => {
    const ladder = memoryLadder({ train_type: 'all', per_device_train_batch_size: 8, gradient_accumulation_steps: 2 }, { deepspeedAvailable: true });
    expect(ladder.map((s) => s.change)).toEqual([
      'turn on gradient checkpointing',
      'micro-batch 8 -> 4 with accumulation 2 -> 4',
      'DeepSpeed ZeRO-3 with CPU offload',
      'switch to LoRA',
    ]);
    const batchStep = ladder[1]!.settings;
    expect((batchStep.per_device_train_batch_size as number) * (batchStep.gradient_accumulation_steps as number)).toBe(16);
  });

  it('skips what is already done and says what offload needs when DeepSpeed is missing', () => {
    const ladder = memoryLadder(
      { train_type: 'lora', lora_dim: 4, gradient_checkpointing: true, per_device_train_batch_size: 1 },
      { deepspeedAvailable: false },
    );
    expect(ladder.map((s) => s.change)).toEqual(['DeepSpeed ZeRO-3 with CPU offload']);
    expect(ladder[0]!.why).toMatch(/needs DeepSpeed/);
  });

  it('picks the longest samples of a JSON-lines file and repeats them to fill the batches', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tunedesk-preflight-'));
    try {
      const file = join(dir, 'train.jsonl');
      writeFileSync(file, ['{"q":"a"}', '{"q":"aaaaaaaa"}', '', '{"q":"aaa"}', '{"q":"aaaaa"}'].join('\n'));
      expect(await longestLines(file, 2, 5)).toEqual(['{"q":"aaaaaaaa"}', '{"q":"aaaaa"}', '{"q":"aaaaaaaa"}', '{"q":"aaaaa"}', '{"q":"aaaaaaaa"}']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
