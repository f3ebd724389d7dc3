// Run ids: `<yyyymmdd-hhmmss>-<method>-<short>`, sortable by time, readable, unique enough
// (the random suffix separates two runs started in the same second).
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

export function makeRunId(method: string, now: Date = new Date(), short: string = randomBytes(2).toString('hex')): string {
  const stamp =
    `${now.getFullYear()}${pad(now.getMonth() + 1)}${pad(now.getDate())}-` +
    `${pad(now.getHours())}${pad(now.getMinutes())}${pad(now.getSeconds())}`;
  const safeMethod = method.toLowerCase().replace(/[^a-z0-9]+/g, '') || 'run';
  return `${stamp}-${safeMethod}-${short}`;
}

/** Run ids become directory names: refuse anything that could escape the runs root. */
export function assertSafeRunId(runId: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(runId)) {
    throw new Error(`"${runId}" is not a valid run id (letters, digits, ".", "_" and "-" only)`);
  }
}

/** The run's directory under the runs root, its id checked first. */
export function runDirOf(runsRoot: string, runId: string): string {
  assertSafeRunId(runId);
  return join(runsRoot, runId);
}
