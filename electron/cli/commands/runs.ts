// `tunedesk runs [--json]` and `tunedesk runs show <id> [--json]`: every run under the runs root
// (app-, CLI- and hand-made), and one run in detail with its checkpoints.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { describeRun, listRuns, type RunListing } from '../../services/runs/run-list';
import { assertSafeRunId } from '../../services/runs/run-id';
import { UsageError, type CliCommand } from '../command';
import { table } from './machine-format';
import { cliRunsRoot, formatDuration, outcomeLines, progressLine } from './run-progress';

const usage = `usage: tunedesk runs [--json] [--runs-dir DIR]
       tunedesk runs show <run-id> [--json] [--runs-dir DIR]

Lists the runs under the runs root (newest first) with status, method, progress, losses and
duration; \`show\` gives one run with its checkpoints (step, loss, size, complete or not).`;

const loss = (v: number | null) => (v === null ? '-' : v.toFixed(4));
const mib = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(1)} MiB`;

export function renderRunList(runs: RunListing[]): string {
  if (runs.length === 0) return 'no runs yet — start one with: npx tunedesk demo';
  const rows = runs.map((r) => [
    r.runId,
    r.status,
    r.method ?? '?',
    r.totalSteps ? `${r.step}/${r.totalSteps}` : String(r.step),
    loss(r.bestLoss),
    loss(r.lastLoss),
    formatDuration(r.durationSeconds),
    `${r.checkpoints.filter((c) => c.complete).length}`,
  ]);
  return table(['run', 'status', 'method', 'step', 'best loss', 'last loss', 'time', 'ckpts'], rows);
}

function parse(argv: string[]) {
  try {
    return parseArgs({ args: argv, allowPositionals: true, options: { json: { type: 'boolean' }, 'runs-dir': { type: 'string' } } });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

export const command: CliCommand = {
  summary: 'list runs, or show one run with its checkpoints',
  usage,
  async run(argv) {
    const { values, positionals } = parse(argv);
    const runsRoot = await cliRunsRoot(values['runs-dir']);
    if (positionals.length === 0) {
      const runs = await listRuns(runsRoot);
      console.log(values.json ? JSON.stringify({ runsRoot, runs }, null, 2) : `runs in ${runsRoot}\n\n${renderRunList(runs)}`);
      return 0;
    }
    if (positionals[0] !== 'show' || positionals.length !== 2) throw new UsageError('expected: runs show <run-id>');
    const runId = positionals[1]!;
    try {
      assertSafeRunId(runId);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    const run = await describeRun(join(runsRoot, runId));
    if (!run.config && !run.meta && run.summary.updatedAt === null) {
      console.error(`✘ no run "${runId}" in ${runsRoot} (list them with: npx tunedesk runs)`);
      return 1;
    }
    if (values.json) {
      console.log(JSON.stringify(run, null, 2));
      return 0;
    }
    const s = run.summary;
    const lines = [
      `run ${run.runId}  (${run.runDir})`,
      `  status: ${s.status}   method: ${run.method ?? '?'}   model: ${run.model ?? '?'}`,
      `  ${progressLine(s, 20)}`,
      `  best loss ${loss(run.bestLoss)}   last loss ${loss(run.lastLoss)}   time ${formatDuration(run.durationSeconds)}`,
    ];
    if (run.parent) lines.push(`  resumed from: ${run.parent.run_id} ${run.parent.checkpoint}`);
    if (s.malformedLines > 0) lines.push(`  warning: ${s.malformedLines} malformed line(s) in events.jsonl were skipped`);
    for (const p of run.problems) lines.push(`  problem: ${p}`);
    if (s.status !== 'running' && s.status !== 'queued') lines.push(...outcomeLines(s, run.runDir).slice(1));
    lines.push('', 'checkpoints:');
    if (run.checkpoints.length === 0) lines.push('  none');
    else {
      const rows = run.checkpoints.map((c) => [c.name, c.step === null ? '?' : String(c.step), loss(c.loss), mib(c.sizeBytes), c.complete ? 'complete' : `INCOMPLETE: ${c.problem}`]);
      lines.push(table(['checkpoint', 'step', 'loss', 'size', 'state'], rows).replace(/^/gm, '  '));
    }
    console.log(lines.join('\n'));
    return 0;
  },
};
