// system.setupTrainer streams the installer's output line by line on 'system.setupProgress' and
// ends with one done line; a failing installer is reported with its exit code. The installer is a
// stand-in script here, so the test never touches the real python-runtime/.venv.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createApiContext } from '../../electron/services/api/context';
import { setupTrainer } from '../../electron/services/api/trainer-setup';

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
