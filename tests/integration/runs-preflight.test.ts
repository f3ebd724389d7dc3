// Preflight with the real trainer on the tiny demo model: two steps on the longest samples give a
// measured peak memory; a budget below it yields the ladder; the probe leaves no run behind.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listRuns } from '../../electron/services/runs/run-list';
import { runPreflight } from '../../electron/services/runs/preflight';
import { RunManager } from '../../electron/services/runs/run-manager';
import { ARTIFACTS, demoModel, tinyConfig, TRAINER_ENV } from '../helpers/runs-helpers';

let root = '';
let model = '';
beforeAll(async () => {
  model = await demoModel();
  root = mkdtempSync(join(ARTIFACTS, 'preflight-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true, maxRetries: 5 }));

describe('preflight', () => {
  it('measures the peak of two steps and proposes the ladder when it does not fit', async () => {
    const manager = new RunManager({ runsRoot: root, env: TRAINER_ENV, telemetry: null });
    await manager.init();
    const result = await runPreflight(manager, tinyConfig(model, { max_steps: 50 }), { estimateGb: 0.5, budgetGb: 0.01 });
    await manager.close();
    expect(result.status).toBe('completed');
    expect(result.longestSamples).toBe(true);
    expect(result.measuredPeakGb).toBeGreaterThan(0.01); // RSS of a Python process with torch
    expect(result.estimateGb).toBe(0.5);
    expect(result.fits).toBe(false);
    expect(result.ladder[0]!.change).toBe('turn on gradient checkpointing');
    expect(await listRuns(root)).toEqual([]);
    expect(readdirSync(root)).toEqual([]);
  });
});
