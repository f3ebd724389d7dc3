// The CLI whose reader goes away (`tunedesk runs | head -1`, `train --follow | head -3`,
// `doctor | true`): no EPIPE trace, a quiet exit 0, and a followed run goes on (real trainer on
// the tiny demo model).
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { REPO_ROOT } from '../../electron/services/python-env/trainer-python';
import { ARTIFACTS, demoModel, tinyConfig, TRAINER_ENV } from '../helpers/runs-helpers';
import { killLeftoverRuns } from '../helpers/runs-cleanup';

let root = '';
const env = () => ({ ...process.env, ...TRAINER_ENV, TUNEDESK_DATA_DIR: join(root, '.data') });
const BIN = join(REPO_ROOT, 'electron', 'cli', 'bin.mjs');

/**
 * Runs the CLI with its stdout a pipe that this side closes after `keepLines` lines (0: at once,
 * before the CLI wrote anything). Resolves with what it said on stderr and its exit code.
 */
function withClosedStdout(args: string[], keepLines: number): Promise<{ code: number | null; stderr: string; seen: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let seen = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const close = () => child.stdout.destroy(); // like `head` exiting: the read end is gone
    if (keepLines === 0) close();
    else
      child.stdout.on('data', (chunk) => {
        seen += chunk;
        if (seen.split('\n').length > keepLines) close();
      });
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stderr, seen }));
  });
}

beforeAll(async () => {
  const model = await demoModel();
  root = mkdtempSync(join(ARTIFACTS, 'pipe-'));
  writeFileSync(join(root, 'long.json'), JSON.stringify(tinyConfig(model, { max_steps: 400, save_model_step: 1000 })));
  const golden = join(REPO_ROOT, 'tests', 'fixtures', 'golden-events', 'completed-run.jsonl');
  for (const id of ['old-a', 'old-b', 'old-c']) {
    mkdirSync(join(root, id));
    cpSync(golden, join(root, id, 'events.jsonl'));
  }
});
afterAll(() => {
  killLeftoverRuns(root);
  rmSync(root, { recursive: true, force: true });
});

describe('a CLI whose stdout is closed early', () => {
  it('runs | head -1: exits 0 without an EPIPE trace', async () => {
    const { code, stderr } = await withClosedStdout(['runs', '--runs-dir', root], 0);
    expect(stderr).not.toMatch(/EPIPE|Error|at /);
    expect(code).toBe(0);
  });

  it('doctor | true: exits 0 without an EPIPE trace', async () => {
    const { code, stderr } = await withClosedStdout(['doctor'], 0);
    expect(stderr).not.toMatch(/EPIPE|Error:|node:events/);
    expect(code).toBe(0);
  });

  it('train --follow | head -3: exits quietly and the run goes on', async () => {
    const { code, stderr, seen } = await withClosedStdout(['train', '--config', join(root, 'long.json'), '--follow', '--runs-dir', root], 3);
    expect(stderr).not.toMatch(/EPIPE|node:events/);
    expect(code).toBe(0);
    const runId = /^run (\S+)/m.exec(seen)![1]!;
    const show = await execa(process.execPath, [BIN, 'runs', 'show', runId, '--json', '--runs-dir', root], { env: env(), reject: false });
    const status = JSON.parse(show.stdout).summary.status;
    expect(status).toBe('running'); // the trainer is detached: the follower leaving does not end it
    const stopped = await execa(process.execPath, [BIN, 'stop', runId, '--runs-dir', root], { env: env(), reject: false });
    expect(stopped.exitCode, stopped.stderr).toBe(0);
    expect(readFileSync(join(root, runId, 'events.jsonl'), 'utf8')).toMatch(/"status": ?"cancelled"/);
  }, 180_000);
});
