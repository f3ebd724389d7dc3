import { describe, expect, it, vi } from 'vitest';
import { buildTrainCommand, deepspeedLauncherPath } from '../../electron/services/runs/launcher';
import { LiveFanout, type RunUpdate } from '../../electron/services/runs/live-fanout';
import { planResume, ResumeRefusedError } from '../../electron/services/runs/resume-rules';
import { assertSafeRunId, makeRunId } from '../../electron/services/runs/run-id';
import { gpuSetKey, RunQueue } from '../../electron/services/runs/run-queue';
import { emptySummary } from '../../electron/services/runs/run-summary';

describe('run queue: one run per GPU set', () => {
  it('keys GPU selections', () => {
    expect(gpuSetKey(undefined)).toBe('cpu');
    expect(gpuSetKey([])).toBe('cpu');
    expect(gpuSetKey([1, 0, 1])).toBe('0,1');
  });

  it('queues a second run on the same set and starts it when the first ends', () => {
    const q = new RunQueue();
    expect(q.enqueue('a', 'cpu')).toBe(true);
    expect(q.enqueue('b', 'cpu')).toBe(false);
    expect(q.enqueue('c', '0')).toBe(true); // another set runs at the same time
    expect(q.position('b')).toBe(0);
    expect(q.release('a')).toEqual(['b']);
    expect(q.isWaiting('b')).toBe(false);
  });

  it('treats overlapping sets as one, and keeps the order (no overtaking)', () => {
    const q = new RunQueue();
    expect(q.enqueue('wide', '0,1')).toBe(true);
    expect(q.enqueue('g1', '1')).toBe(false);
    expect(q.enqueue('g0', '0')).toBe(false);
    expect(q.enqueue('g1-again', '1')).toBe(false);
    expect(q.release('wide')).toEqual(['g1', 'g0']);
    expect(q.release('g1')).toEqual(['g1-again']);
  });

  it('a run cancelled while waiting leaves the line', () => {
    const q = new RunQueue();
    q.markActive('live', 'cpu');
    expect(q.enqueue('x', 'cpu')).toBe(false);
    expect(q.enqueue('y', 'cpu')).toBe(false);
    expect(q.release('x')).toEqual([]);
    expect(q.position('y')).toBe(0);
    expect(q.release('live')).toEqual(['y']);
  });
});

describe('trainer command', () => {
  it('runs one device directly, pinning the chosen GPU', () => {
    expect(buildTrainCommand({ python: '/venv/bin/python' })).toEqual({
      file: '/venv/bin/python',
      args: ['-m', 'tunedesk', 'train', '--config', 'run.json'],
      launcher: 'torch',
      env: { PYTHONUNBUFFERED: '1' },
    });
    expect(buildTrainCommand({ python: '/venv/bin/python', gpus: [3] }).env).toEqual({ PYTHONUNBUFFERED: '1', CUDA_VISIBLE_DEVICES: '3' });
  });

  it('sends several GPUs through the DeepSpeed launcher with the chosen GPUs', () => {
    const cmd = buildTrainCommand({ python: '/venv/bin/python', gpus: [0, 2], masterPort: 29611, platform: 'linux' });
    expect(cmd.file).toBe('/venv/bin/deepspeed');
    expect(cmd.args).toEqual(['--include', 'localhost:0,2', '--master_port', '29611', '-m', 'tunedesk', 'train', '--config', 'run.json']);
    expect(cmd.launcher).toBe('deepspeed');
    expect(cmd.env.CUDA_VISIBLE_DEVICES).toBeUndefined(); // the launcher sets it per rank
    expect(deepspeedLauncherPath('C:\\td\\venv\\Scripts\\python.exe', 'win32')).toBe('C:\\td\\venv\\Scripts\\deepspeed.exe');
  });
});

describe('resume rules', () => {
  const parent = { train_type: 'lora', model_name_or_path: '/m', lora_dim: 8, learning_rate: 1e-4, max_steps: 4, run_id: 'p' };

  it('lists the changes that apply', () => {
    const plan = planResume(parent, { learning_rate: 5e-5, max_steps: 8, lora_dim: 8, run_id: 'new', num_train_epochs: undefined });
    expect(plan.refused).toEqual([]);
    expect(plan.applied).toEqual([
      { key: 'learning_rate', from: 1e-4, to: 5e-5 },
      { key: 'max_steps', from: 4, to: 8 },
    ]);
  });

  it('refuses method, model and LoRA shape changes with the reason', () => {
    const plan = planResume(parent, { train_type: 'freeze', model_name_or_path: '/other', lora_dim: 16, max_steps: 8 });
    expect(plan.refused.map((r) => r.key)).toEqual(['train_type', 'model_name_or_path', 'lora_dim']);
    expect(plan.refused[2]!.reason).toContain('shape');
    expect(plan.applied.map((c) => c.key)).toEqual(['max_steps']);
    const error = new ResumeRefusedError(plan);
    expect(error.message).toContain('lora_dim: 8 -> 16');
  });
});

describe('run ids', () => {
  it('are time-sortable and name the method', () => {
    expect(makeRunId('LoRA', new Date(2026, 10, 28, 1, 2, 3), 'ab12')).toBe('20261128-010203-lora-ab12');
    expect(makeRunId('lora')).toMatch(/^\d{8}-\d{6}-lora-[0-9a-f]{4}$/);
  });
  it('refuse path tricks', () => {
    expect(() => assertSafeRunId('../etc')).toThrow();
    expect(() => assertSafeRunId('a/b')).toThrow();
    expect(() => assertSafeRunId('20261128-010203-lora-ab12')).not.toThrow();
  });
});

describe('live fan-out', () => {
  it('batches a burst into ~10 updates per second and loses no event', async () => {
    vi.useFakeTimers();
    try {
      const fanout = new LiveFanout(100);
      const updates: RunUpdate[] = [];
      const unsubscribe = fanout.subscribe('r', (u) => updates.push(u));
      const all: number[] = [];
      for (let i = 1; i <= 1000; i++) {
        fanout.publish({ ...emptySummary('r'), step: i }, [{ v: 1, ts: i, type: 'metrics', step: i, epoch: 0, values: {} }]);
        all.push(i);
        vi.advanceTimersByTime(1); // 1000 events over one second
      }
      vi.advanceTimersByTime(200);
      expect(updates.length).toBeGreaterThanOrEqual(9);
      expect(updates.length).toBeLessThanOrEqual(12);
      expect(updates.flatMap((u) => u.events.map((e) => (e.type === 'metrics' ? e.step : -1)))).toEqual(all);
      expect(updates.at(-1)!.summary.step).toBe(1000);
      unsubscribe();
      fanout.publish(emptySummary('r'), [], true);
      expect(updates.length).toBeLessThanOrEqual(12);
    } finally {
      vi.useRealTimers();
    }
  });

  it('delivers to "*" subscribers and survives a throwing listener', () => {
    const fanout = new LiveFanout(100);
    const seen: string[] = [];
    fanout.subscribe('*', () => {
      throw new Error('broken UI');
    });
    fanout.subscribe('*', (u) => seen.push(u.runId));
    fanout.publish(emptySummary('a'), [], true);
    fanout.publish(emptySummary('b'), [], true);
    expect(seen).toEqual(['a', 'b']);
  });
});
