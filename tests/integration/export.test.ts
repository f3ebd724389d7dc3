// The real thing end to end: the trainer writes a LoRA checkpoint of the demo model, then the
// export service merges and verifies it, predict streams an answer from the export, and the CLI
// resolves a run id under TUNEDESK_RUNS_DIR.
import { execa } from 'execa';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runExport, type ExportProgress } from '../../electron/services/export/export-service';
import { streamTrainerCommand } from '../../electron/services/export/trainer-stream';
import { runPredict } from '../../electron/services/predict/predict-service';
import { REPO_ROOT } from '../../electron/services/python-env/trainer-python';
import { demoModel } from '../helpers/runs-helpers';

const ENV = { OMP_NUM_THREADS: '1', HF_HUB_OFFLINE: '1', TRANSFORMERS_OFFLINE: '1' };
const runsRoot = mkdtempSync(join(tmpdir(), 'tunedesk-export-int-'));
const runDir = join(runsRoot, 'run-lora');
const checkpoint = join(runDir, 'checkpoints', 'step-000002');

beforeAll(async () => {
  const model = await demoModel();
  const args = [
    'train', '--train_path', join(REPO_ROOT, 'resources', 'demo', 'train.jsonl'), '--model_name_or_path', model,
    '--output_dir', runDir, '--train_type', 'lora', '--max_steps', '2', '--save_model_step', '2',
    '--learning_rate', '1e-2', '--per_device_train_batch_size', '4', '--max_len', '48', '--max_src_len', '24',
  ]; // prettier-ignore
  const trained = await streamTrainerCommand(args, { env: ENV });
  expect(trained.exitCode, trained.stderrTail.join('\n')).toBe(0);
  expect(existsSync(join(checkpoint, 'manifest.json'))).toBe(true);
});

afterAll(() => rmSync(runsRoot, { recursive: true, force: true }));

describe('export and try on a real checkpoint', () => {
  const out = join(runsRoot, 'exported');

  it('exports, reporting progress in order, and the export is verified', async () => {
    const progress: ExportProgress[] = [];
    const outcome = await runExport({ checkpoint, out, dtype: 'fp32' }, { env: ENV, onProgress: (p) => progress.push(p) });
    expect(outcome.status, JSON.stringify(outcome)).toBe('completed');
    const fractions = progress.map((p) => p.fraction);
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
    expect(progress.map((p) => p.stage)).toEqual(expect.arrayContaining(['load', 'merge', 'write', 'done']));
    const record = JSON.parse(readFileSync(join(out, 'export.json'), 'utf8'));
    expect(record.verification.passed).toBe(true);
    expect(record.verification.max_abs_logit_diff).toBeLessThan(1e-4);
    expect(record.verification.training_effect).toBeGreaterThan(1e-3);
  });

  it('refuses the now non-empty target without force, with the reason', async () => {
    const outcome = await runExport({ checkpoint, out }, { env: ENV });
    expect(outcome).toMatchObject({ status: 'failed', error: { kind: 'config' } });
    if (outcome.status === 'failed') expect(outcome.error.hint).toContain('--force');
  });

  it('streams a greedy answer from the export, the same twice', async () => {
    const tokens: string[] = [];
    const request = { model: out, prompt: 'Translate to Chinese: five', maxNewTokens: 6, greedy: true };
    const first = await runPredict(request, { env: ENV, onToken: (t) => tokens.push(t) });
    expect(first.status).toBe('completed');
    if (first.status !== 'completed') return;
    expect(tokens.join('')).toBe(first.text);
    // The same answer twice (greedy); only the time it took may differ.
    const again = await runPredict(request, { env: ENV });
    expect({ ...again, seconds: 0 }).toEqual({ ...first, seconds: 0 });
  });

  it('CLI: `tunedesk export <run-id>` takes the newest checkpoint under TUNEDESK_RUNS_DIR', async () => {
    const cli = await execa('node', [join(REPO_ROOT, 'electron', 'cli', 'bin.mjs'), 'export', 'run-lora', '--dtype', 'fp16'], {
      env: { ...ENV, TUNEDESK_RUNS_DIR: runsRoot },
      reject: false,
    });
    expect(cli.exitCode, cli.stderr).toBe(0);
    const target = join(runDir, 'exports', 'step-000002-hf-fp16');
    expect(cli.stdout).toContain(`exported to ${target}`);
    expect(cli.stderr).toContain('100% done');
    expect(JSON.parse(readFileSync(join(target, 'export.json'), 'utf8')).dtype).toBe('fp16');
  });
});
