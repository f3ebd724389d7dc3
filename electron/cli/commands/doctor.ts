// `tunedesk doctor [--json]`: GPUs, host and the trainer environment, with disagreements.
import { parseArgs } from 'node:util';
import { hardwareReportSchema, type HardwareReport } from '../../shared/contract/hardware';
import { hardwareReport } from '../../services/hardware/hardware-report';
import { UsageError, type CliCommand } from '../command';
import { gib, orUnknown, section, table } from './machine-format';

const usage = `usage: tunedesk doctor [--json] [--skip-trainer] [--fresh] [--timeout MS]

What this machine can train with: NVIDIA GPUs (nvidia-smi, bounded by a timeout), other graphics,
CPU, RAM, disk and OS, and what the trainer's Python environment (torch, CUDA, DeepSpeed) sees.

options:
  --json           print the report as JSON (validated against the contract schema)
  --skip-trainer   do not start the trainer's Python (answers faster)
  --fresh          ask the trainer's Python again (its answer is otherwise reused until the
                   environment changes, for up to 6 hours)
  --timeout MS     nvidia-smi timeout in milliseconds (default 5000)

environment:
  TUNEDESK_NVIDIA_SMI   another nvidia-smi executable (WSL, unusual installs)`;

export function renderReport(report: HardwareReport): string {
  const out: string[] = [];
  const gpuRows = report.gpus.map((g) => [
    orUnknown(g.index), g.name, gib(g.memoryTotalBytes), gib(g.memoryFreeBytes), orUnknown(g.utilizationPct, '%'), orUnknown(g.temperatureC, '°C'),
    g.powerDrawW === null && g.powerLimitW === null ? '?' : `${orUnknown(g.powerDrawW)}/${orUnknown(g.powerLimitW)} W`, g.migMode ?? '?', g.unifiedMemory ? 'unified memory' : g.key,
  ]);
  out.push(section('GPUs', gpuRows.length ? table(['#', 'name', 'memory', 'free', 'util', 'temp', 'power', 'MIG', 'key'], gpuRows) : '(none found: training runs on the CPU)'));
  out.push(section('GPU sources', table(['source', 'status', 'time', 'detail'], report.sources.map((s) => [s.name, s.status, `${s.elapsedMs} ms`, s.detail]))));
  const h = report.host;
  const hostRows = [
    ['CPU', h.cpu ? `${h.cpu.brand} (${h.cpu.physicalCores} cores, ${h.cpu.logicalCores} threads)` : '?'],
    ['RAM', h.memory ? `${gib(h.memory.totalBytes)} (${gib(h.memory.availableBytes)} available)` : '?'],
    ['disk', h.disk ? `${gib(h.disk.freeBytes)} free of ${gib(h.disk.totalBytes)} on ${h.disk.mount} (runs: ${h.disk.path})` : '?'],
    ['OS', h.os ? `${h.os.distro} ${h.os.release} (${h.os.platform}, ${h.os.arch})` : '?'],
    ...h.problems.map((p) => ['problem', p]),
  ];
  out.push(section('Host', table(['', ''], hostRows).split('\n').slice(2).join('\n')));
  const t = report.trainer;
  const engines = Object.entries(t.engines).map(([name, e]) => `${name} ${e.available ? 'yes' : 'no'}${e.detail ? ` (${e.detail})` : ''}`).join(', ');
  const trainerRows =
    t.status === 'ok'
      ? [
          ['python', `${orUnknown(t.pythonVersion)} (${orUnknown(t.python)})`],
          ['torch', `${orUnknown(t.torchVersion)}, ${t.torchCuda ? `CUDA ${t.torchCuda}` : 'CPU build'}, CUDA usable: ${t.cudaAvailable === null ? '?' : t.cudaAvailable ? 'yes' : 'no'}`],
          ['devices', t.devices.map((d) => `${d.index}: ${d.name} (${gib(d.totalMemoryBytes)})`).join('; ') || 'none'],
          ['engines', engines || '?'],
        ]
      : [['status', `${t.status}: ${t.detail}`]];
  out.push(section('Trainer environment', table(['', ''], trainerRows).split('\n').slice(2).join('\n')));
  if (report.disagreements.length) out.push(section('Disagreements', report.disagreements.map((d) => `! ${d}`).join('\n')));
  return out.join('\n');
}

export const command: CliCommand = {
  summary: 'GPUs, host and trainer environment',
  usage,
  async run(argv) {
    let values;
    try {
      ({ values } = parseArgs({ args: argv, options: { json: { type: 'boolean' }, 'skip-trainer': { type: 'boolean' }, fresh: { type: 'boolean' }, timeout: { type: 'string' } } }));
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    const timeoutMs = values.timeout === undefined ? undefined : Number(values.timeout);
    if (timeoutMs !== undefined && !(Number.isInteger(timeoutMs) && timeoutMs > 0)) throw new UsageError(`--timeout takes milliseconds (got "${values.timeout}")`);
    const report = await hardwareReport({ nvidia: { timeoutMs }, skipTrainer: values['skip-trainer'], freshTrainer: values.fresh });
    console.log(values.json ? JSON.stringify(hardwareReportSchema.parse(report), null, 2) : renderReport(report));
    return 0;
  },
};
