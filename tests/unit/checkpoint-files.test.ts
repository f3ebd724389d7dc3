import { mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findCompleteCheckpoint, listCheckpoints } from '../../electron/services/checkpoints/checkpoint-list';

// The same rule as the trainer's: complete = manifest + every listed file there with its size.
describe('a checkpoint is complete only when every file its manifest lists is there with its size', () => {
  let run = '';
  beforeEach(() => {
    run = mkdtempSync(join(tmpdir(), 'tunedesk-ckfiles-'));
  });
  afterEach(() => rmSync(run, { recursive: true, force: true }));

  function checkpoint(step: number): string {
    const dir = join(run, 'checkpoints', `step-${String(step).padStart(6, '0')}`);
    mkdirSync(join(dir, 'adapter'), { recursive: true });
    writeFileSync(join(dir, 'adapter', 'adapter_model.safetensors'), Buffer.alloc(300));
    writeFileSync(join(dir, 'optimizer.pt'), Buffer.alloc(120));
    const files = { 'adapter/adapter_model.safetensors': 300, 'optimizer.pt': 120 };
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ format: 'tunedesk-checkpoint', version: 1, step, files }));
    return dir;
  }

  it('lists a folder whose listed files are missing, cut or links as incomplete, and never offers it', async () => {
    checkpoint(2);
    rmSync(join(checkpoint(4), 'adapter'), { recursive: true }); // a half-done delete used to leave this
    truncateSync(join(checkpoint(6), 'optimizer.pt'), 7);
    const linked = checkpoint(8);
    rmSync(join(linked, 'optimizer.pt'));
    writeFileSync(join(run, 'elsewhere.pt'), Buffer.alloc(120));
    symlinkSync(join(run, 'elsewhere.pt'), join(linked, 'optimizer.pt'));
    const list = await listCheckpoints(run);
    expect(list.map((c) => [c.step, c.complete])).toEqual([
      [2, true],
      [4, false],
      [6, false],
      [8, false],
    ]);
    expect(list[1]!.problem).toMatch(/adapter\/adapter_model\.safetensors is missing/);
    expect(list[2]!.problem).toMatch(/optimizer\.pt has 7 bytes, the manifest lists 120/);
    expect((await findCompleteCheckpoint(run))!.step).toBe(2);
  });
});
