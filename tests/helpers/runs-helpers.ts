// Shared set-up for the run manager's integration tests: the real trainer on the embedded demo
// model, tiny settings so that each run takes seconds on a CPU.
import { execa } from 'execa';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, trainerPythonPath } from '../../electron/services/python-env/trainer-python';
import type { RunUpdate } from '../../electron/services/runs/live-fanout';

export const ARTIFACTS = join(REPO_ROOT, 'tests', 'artifacts', 'runs');

/** The demo model, made once per checkout (python -m tunedesk demo-model). */
export async function demoModel(): Promise<string> {
  const dir = join(ARTIFACTS, 'demo-model');
  if (existsSync(join(dir, 'tunedesk_demo.json'))) return dir;
  mkdirSync(ARTIFACTS, { recursive: true });
  await execa(trainerPythonPath(), ['-m', 'tunedesk', 'demo-model', '--out', dir, '--force'], { cwd: REPO_ROOT });
  return dir;
}

/** A LoRA run small enough for a CPU test: short samples, a metric every step, a checkpoint every 2. */
export function tinyConfig(model: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    train_type: 'lora',
    lora_dim: 4,
    lora_alpha: 8,
    lora_dropout: 0,
    learning_rate: 0.002,
    max_len: 48,
    max_src_len: 24,
    per_device_train_batch_size: 4,
    num_train_epochs: 1,
    max_steps: 4,
    show_loss_step: 1,
    save_model_step: 2,
    device: 'cpu',
    train_path: join(REPO_ROOT, 'resources', 'demo', 'train.jsonl'),
    model_name_or_path: model,
    ...overrides,
  };
}

export const TRAINER_ENV = { HF_HUB_OFFLINE: '1', TRANSFORMERS_OFFLINE: '1', TOKENIZERS_PARALLELISM: 'false' };

export const metricSteps = (updates: RunUpdate[]) =>
  updates.flatMap((u) => u.events.flatMap((e) => (e.type === 'metrics' ? [e.step] : [])));

export async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
