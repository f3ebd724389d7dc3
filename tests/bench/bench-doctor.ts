// npm run bench:doctor — the machine report's wall time with a fixture nvidia-smi that answers,
// one that hangs (bounded by the timeout + 1 s), the trainer's doctor (Python start-up), and the
// whole report with the trainer's cached answer (what `tunedesk doctor` does by default).
// Targets: < 1 s when nvidia-smi answers; <= timeout + 1 s when it hangs.
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hardwareReport } from '../../electron/services/hardware/hardware-report';
import { trainerDoctor } from '../../electron/services/python-env/doctor';
import { cachedTrainerDoctor } from '../../electron/services/python-env/doctor-cache';

const FIXTURES = resolve(fileURLToPath(new URL('.', import.meta.url)), '../fixtures/nvidia-smi');
const TIMEOUT_MS = 2000;

async function time(label: string, target: number, run: () => Promise<unknown>, rounds = 3): Promise<void> {
  const samples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const started = performance.now();
    await run();
    samples.push(performance.now() - started);
  }
  const worst = Math.max(...samples);
  const verdict = worst <= target ? 'ok' : 'TOO SLOW';
  console.log(`${label.padEnd(44)} ${samples.map((s) => s.toFixed(0)).join(' / ')} ms (target <= ${target} ms) ${verdict}`);
  if (worst > target) process.exitCode = 1;
}

const env = (fixture: string) => ({ PATH: process.env.PATH, TUNEDESK_NVIDIA_SMI: join(FIXTURES, fixture) });

await hardwareReport({ nvidia: { env: env('one-gpu') }, skipTrainer: true }); // warm the module caches
await time('doctor, nvidia-smi answers (1 GPU)', 1000, () => hardwareReport({ nvidia: { env: env('one-gpu') }, skipTrainer: true }));
await time('doctor, nvidia-smi answers (8 GPUs)', 1000, () => hardwareReport({ nvidia: { env: env('eight-gpus') }, skipTrainer: true }));
await time(`doctor, nvidia-smi hangs (timeout ${TIMEOUT_MS} ms)`, TIMEOUT_MS + 1000, () =>
  hardwareReport({ nvidia: { env: env('hang'), timeoutMs: TIMEOUT_MS }, skipTrainer: true, skipFallback: true }),
);
await time('trainer doctor (python -m tunedesk doctor)', 30_000, () => trainerDoctor(), 1);
// What `tunedesk doctor` does by default: the trainer's answer reused while its venv is unchanged.
await cachedTrainerDoctor(); // prime the cache (the app's data folder)
await time('doctor incl. trainer (cached), 1 GPU', 1000, () => hardwareReport({ nvidia: { env: env('one-gpu') } }));
