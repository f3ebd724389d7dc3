// system.setupTrainer streams the installer's output line by line on 'system.setupProgress' and
// ends with one done line; a failing installer is reported with its exit code. The installer is a
// stand-in script here, so the test never touches the real python-runtime/.venv.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createApiContext } from '../../electron/api/context';
import { setupTrainer } from '../../electron/api/trainer-setup';

const base = mkdtempSync(join(tmpdir(), 'tunedesk-setup-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

function installer(body: string): string {
  const file = join(base, `installer-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(file, body);
  return file;
}

describe('trainer environment set-up', () => {
  const ctx = createApiContext({ mode: 'browser', appRoot: join(__dirname, '..', '..'), runsRoot: join(base, 'runs'), dataDir: join(base, 'data') });

  it('streams stdout and stderr lines, then a final done line', async () => {
    const events: { line: string; stream: string; done: boolean; ok?: boolean }[] = [];
    const stop = ctx.events.subscribe('system.setupProgress', (e) => events.push(e as (typeof events)[number]));
    const script = installer("console.log('creating venv'); console.error('pip: warning'); console.log('done installing');");
    const result = await setupTrainer(ctx, script);
    stop();
    expect(result).toEqual({ ok: true, exitCode: 0, message: 'The trainer environment is ready.' });
    expect(events.map((e) => [e.stream, e.line]).slice(1, -1)).toEqual(
      expect.arrayContaining([
        ['stdout', 'creating venv'],
        ['stderr', 'pip: warning'],
        ['stdout', 'done installing'],
      ]),
    );
    expect(events.at(-1)).toMatchObject({ stream: 'status', done: true, ok: true });
    expect(events.filter((e) => e.done)).toHaveLength(1);
  });

  it('reports a failed installer with its exit code, and runs one installer at a time', async () => {
    const script = installer("console.error('no python'); await new Promise((r) => setTimeout(r, 200)); process.exit(3);");
    const [a, b] = await Promise.all([setupTrainer(ctx, script), setupTrainer(ctx, script)]);
    expect(a).toBe(b);
    expect(a).toMatchObject({ ok: false, exitCode: 3 });
    expect(a.message).toMatch(/exit code 3/);
  });
});

// The installer itself (python-runtime/setup/ensure-venv.mjs) with a stand-in environment whose
// "python" answers like pip does when the index cannot be reached: it must pass small network
// bounds to pip, say which step it is on, and end in seconds with the reason and what to do.
describe('ensure-venv against an unreachable index', () => {
  const script = join(__dirname, '..', '..', 'python-runtime', 'setup', 'ensure-venv.mjs');
  const fakeVenv = (pipOutput: string, exitCode: number) => {
    const dir = join(base, `venv-${Math.random().toString(36).slice(2)}`);
    mkdirSync(join(dir, 'bin'), { recursive: true });
    const python = join(dir, 'bin', 'python');
    writeFileSync(python, `#!/bin/sh\necho "$@" >> "${dir}/argv"\necho '${pipOutput}' >&2\nexit ${exitCode}\n`);
    chmodSync(python, 0o755);
    return dir;
  };
  const runInstaller = (venv: string) =>
    spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, TUNEDESK_SKIP_PYTHON_SETUP: '', TUNEDESK_VENV_DIR: venv } });

  it('bounds pip and names the unreachable index', () => {
    const venv = fakeVenv(
      "WARNING: Retrying (Retry(total=0)) after connection broken by NewConnectionError: Failed to establish a new connection: [Errno -2] Name or service not known: /simple/torch/\nERROR: No matching distribution found for torch==2.13.0",
      1,
    );
    const started = Date.now();
    const result = runInstaller(venv);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('step 1/2: installing the pinned requirements');
    expect(result.stderr).toMatch(/could not reach the package index.*PIP_INDEX_URL.*TUNEDESK_PIP_TIMEOUT/s);
    expect(result.stderr).toContain('npm run setup:python');
    const argv = readFileSync(join(venv, 'argv'), 'utf8');
    expect(argv).toMatch(/-m pip install .*--timeout 10 --retries 1/);
  });

  it('a pip failure that is not the network says so, without the network advice', () => {
    const venv = fakeVenv('ERROR: Invalid requirement: torch===', 1);
    const result = runInstaller(venv);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('pip says why above');
    expect(result.stderr).not.toContain('package index');
  });
});
