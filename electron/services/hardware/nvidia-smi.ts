// Runs nvidia-smi asynchronously with a hard deadline (runBounded). A hung nvidia-smi (a wedged
// driver can block it for minutes) is killed at the timeout, and the answer comes back no later
// than the timeout plus one second even when the process cannot be reaped.
import type { Gpu, GpuSource } from '../../shared/contract/hardware';
import { runBounded } from '../python-env/bounded-run';
import { locateNvidiaSmi, type LocateOptions } from './locate-nvidia-smi';
import { explainExitCode, parseNvidiaSmiCsv, QUERY_FIELDS } from './nvidia-smi-parse';

export const DEFAULT_NVIDIA_SMI_TIMEOUT_MS = 5000;

export interface NvidiaResult {
  gpus: Gpu[];
  source: GpuSource;
}

export interface NvidiaOptions extends LocateOptions {
  timeoutMs?: number;
}

export async function queryNvidiaSmi(options: NvidiaOptions = {}): Promise<NvidiaResult> {
  const started = performance.now();
  const timeoutMs = options.timeoutMs ?? DEFAULT_NVIDIA_SMI_TIMEOUT_MS;
  const elapsed = () => Math.round(performance.now() - started);
  const located = await locateNvidiaSmi(options);
  if (located.path === null) {
    return { gpus: [], source: { name: 'nvidia-smi', status: 'absent', detail: located.why, path: null, exitCode: null, elapsedMs: elapsed() } };
  }
  const path = located.path;
  const source = (status: GpuSource['status'], detail: string, exitCode: number | null = null): GpuSource => ({
    name: 'nvidia-smi', status, detail, path, exitCode, elapsedMs: elapsed(),
  });

  const result = await runBounded(path, [`--query-gpu=${QUERY_FIELDS.join(',')}`, '--format=csv,noheader,nounits'], { timeoutMs, env: options.env });
  if (result.abandoned) {
    return { gpus: [], source: source('timeout', `nvidia-smi did not answer within ${timeoutMs} ms and could not be stopped; the driver may be wedged (check \`dmesg\`, reboot)`) };
  }
  if (result.timedOut) {
    return { gpus: [], source: source('timeout', `nvidia-smi did not answer within ${timeoutMs} ms and was killed; the driver may be busy or wedged (check \`dmesg\`; reboot if it persists)`) };
  }
  if (result.startError) {
    return { gpus: [], source: source('error', `nvidia-smi could not be started (${result.startError}); check ${path}`) };
  }
  if (result.signal) {
    return { gpus: [], source: source('error', `nvidia-smi was killed by ${result.signal}; the driver may be in a bad state (check \`dmesg\`, reboot)`) };
  }
  if (result.exitCode !== 0) {
    const code = result.exitCode ?? -1;
    return { gpus: [], source: source('error', explainExitCode(code, result.stderr), code) };
  }
  const { gpus, rejected } = parseNvidiaSmiCsv(result.stdout);
  if (gpus.length === 0) {
    const sample = rejected[0] ? `: "${rejected[0].slice(0, 80)}"` : ' (empty output)';
    return { gpus, source: source('error', `nvidia-smi answered but no GPU line could be read${sample}; update the driver or report this output`, 0) };
  }
  const mig = gpus.filter((g) => g.migMode === 'enabled').length;
  const parts = [`${gpus.length} NVIDIA GPU${gpus.length > 1 ? 's' : ''} via ${located.via}`];
  if (mig) parts.push(`${mig} in MIG mode: training sees MIG instances, each with a slice of the memory`);
  if (rejected.length) parts.push(`${rejected.length} unreadable line(s) skipped`);
  return { gpus, source: source('ok', parts.join('; '), 0) };
}
