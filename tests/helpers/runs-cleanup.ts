// Test hygiene: whatever a failing test left running under a runs root is ended (SIGKILL to each
// run's process group from its process.json), so one failure never leaks processes into the next.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export function killLeftoverRuns(runsRoot: string): void {
  if (!runsRoot || !existsSync(runsRoot)) return;
  for (const name of readdirSync(runsRoot)) {
    const file = join(runsRoot, name, 'process.json');
    if (!existsSync(file)) continue;
    try {
      const { pgid, pid } = JSON.parse(readFileSync(file, 'utf8')) as { pgid: number | null; pid: number };
      process.kill(pgid ? -pgid : pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
