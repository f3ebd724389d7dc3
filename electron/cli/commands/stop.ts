// `tunedesk stop <run-id>`: stop a run started by the app or the CLI. The trainer is asked to save
// a checkpoint and stop; if it does not, its whole process group is ended. Nothing is left running.
import { parseArgs } from 'node:util';
import { assertSafeRunId } from '../../services/runs/run-id';
import { UsageError, type CliCommand } from '../command';
import { cliRunsRoot, openRunManager, outcomeLines } from './run-progress';

const usage = `usage: tunedesk stop <run-id> [--runs-dir DIR]

Asks the run to save a checkpoint and stop (the STOP file); after a grace period the whole process
group gets SIGTERM, then SIGKILL. Returns when no process of the run is left.`;

const said: Record<string, string> = {
  'already-gone': 'was not running',
  cooperative: 'stopped after saving a checkpoint',
  sigterm: 'did not stop by itself; ended with SIGTERM',
  sigkill: 'ignored SIGTERM; ended with SIGKILL',
  taskkill: 'ended with taskkill /T /F',
  dequeued: 'removed from the queue',
};

export const command: CliCommand = {
  summary: 'stop a run (checkpoint first, nothing left running)',
  usage,
  async run(argv) {
    let parsed;
    try {
      parsed = parseArgs({ args: argv, allowPositionals: true, options: { 'runs-dir': { type: 'string' } } });
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    const [runId] = parsed.positionals;
    if (!runId || parsed.positionals.length !== 1) throw new UsageError('give the run id to stop');
    try {
      assertSafeRunId(runId);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    const manager = await openRunManager(await cliRunsRoot(parsed.values['runs-dir']));
    console.error(`stopping ${runId} ...`);
    const stage = await manager.stop(runId);
    console.log(`run ${runId} ${said[stage] ?? stage}`);
    const summary = manager.get(runId);
    if (summary && stage !== 'already-gone') console.log(outcomeLines(summary, manager.runDir(runId)).join('\n'));
    await manager.close();
    return 0;
  },
};
