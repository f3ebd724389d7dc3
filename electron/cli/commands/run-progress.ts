// Shared by the run commands (train, resume, demo, runs, stop): where runs live, and the live
// terminal view of a run — a progress bar with loss, tokens/s and ETA on a terminal, one plain
// line every few seconds when the output is a file or a pipe (CI logs stay readable).
import { hostFolders } from '../../api/host-folders';
import { RunManager } from '../../services/runs/run-manager';
import type { RunSummary } from '../../services/runs/run-summary';

/** The runs root for a CLI call: --runs-dir, TUNEDESK_RUNS_DIR, the settings file, the default. */
export async function cliRunsRoot(flag: string | undefined): Promise<string> {
  return (await hostFolders({ runsDir: flag })).runsRoot;
}

export async function openRunManager(runsRoot: string): Promise<RunManager> {
  const manager = new RunManager({ runsRoot });
  await manager.init();
  return manager;
}

export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

const num = (v: number | null | undefined, digits: number) => (typeof v === 'number' ? v.toFixed(digits) : '?');

/** One line describing where a run stands (used for both the bar and the plain log lines). */
export function progressLine(s: RunSummary, width = 24): string {
  const total = s.totalSteps ?? 0;
  const fraction = total > 0 ? Math.min(1, s.step / total) : 0;
  const filled = Math.round(fraction * width);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
  const steps = total > 0 ? `${s.step}/${total}` : `${s.step}`;
  if (s.status === 'queued') return `${bar} queued: waiting for the GPUs (or CPU) to be free`;
  const tokens = s.lastMetrics.tokens_per_s;
  return [
    `${bar} ${steps}`,
    `loss ${num(s.lastLoss, 4)}`,
    `${typeof tokens === 'number' ? Math.round(tokens).toLocaleString('en-US') : '?'} tok/s`,
    `ETA ${formatDuration(s.etaSeconds)}`,
  ].join('  ');
}

/** Final words for a run that ended. */
export function outcomeLines(s: RunSummary, runDir: string): string[] {
  const lines = [`run ${s.runId}: ${s.status} at step ${s.step}${s.totalSteps ? `/${s.totalSteps}` : ''}` + (s.lastLoss !== null ? `, loss ${num(s.lastLoss, 4)}` : '')];
  if (s.error) lines.push(`  ${s.error.kind}: ${s.error.message}`, `  hint: ${s.error.hint}`);
  if (s.lastCheckpoint) lines.push(`  last checkpoint: ${runDir}/${s.lastCheckpoint.path}`);
  if ((s.status === 'crashed' || s.status === 'failed') && s.logTail.length > 0) {
    lines.push('  end of train.log:', ...s.logTail.slice(-15).map((l) => `    ${l}`));
  }
  if (s.status === 'cancelled' || s.status === 'crashed') {
    if (s.lastCheckpoint) lines.push(`  continue with: npx tunedesk resume ${s.runId}`);
  }
  return lines;
}

/**
 * Follows a run until it ends, drawing progress. Ctrl+C detaches (the run goes on; it says how
 * to stop it) — a terminal closing must never kill a training silently.
 */
export async function followRun(manager: RunManager, runId: string, out: NodeJS.WriteStream = process.stdout): Promise<RunSummary> {
  const tty = Boolean(out.isTTY);
  let lastPlain = 0;
  let lastStep = -1;
  const draw = (s: RunSummary) => {
    if (tty) {
      out.write(`\r\x1b[2K${progressLine(s, 24)}`);
    } else if (s.step !== lastStep && (Date.now() - lastPlain > 5000 || s.step === s.totalSteps)) {
      out.write(progressLine(s, 24) + '\n');
      lastPlain = Date.now();
      lastStep = s.step;
    }
  };
  const current = manager.get(runId);
  if (current) draw(current);
  const unsubscribe = manager.subscribe(runId, (update) => draw(update.summary));
  const detach = new Promise<null>((resolve) => {
    const onSigint = () => resolve(null);
    process.once('SIGINT', onSigint);
    void manager.waitForEnd(runId).finally(() => process.removeListener('SIGINT', onSigint));
  });
  const ended = await Promise.race([manager.waitForEnd(runId), detach]);
  unsubscribe();
  if (tty) out.write('\n');
  if (ended === null) {
    out.write(`detached; the run goes on. Follow it again with the app, or stop it: npx tunedesk stop ${runId}\n`);
    return manager.get(runId)!;
  }
  return ended;
}

/** Exit code for a finished run: 0 completed, 1 failed or crashed, 3 cancelled, 0 while still running (detached). */
export function exitCodeFor(s: RunSummary): number {
  if (s.status === 'failed' || s.status === 'crashed') return 1;
  if (s.status === 'cancelled') return 3;
  return 0;
}
