// In CI a test that skips for a reason not on the allowlist (tests/helpers/known-skip-reasons.json)
// fails the run: the reasons the suite uses are known, others are not, and a real vitest run with
// an unknown skip under CI=1 exits non-zero.
import { execa } from 'execa';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { electronUnavailable } from '../../electron/main/launch';
import { isKnownSkipReason, skipReasonOf, withSkipReason } from '../helpers/known-skips';

const REPO = join(import.meta.dirname, '..', '..');

describe('known skip reasons', () => {
  it('accepts the reasons the suite gives for a missing Electron binary, DeepSpeed or GPU', () => {
    const electron = electronUnavailable({}, 'linux', () => {
      throw new Error('Electron failed to install correctly');
    });
    expect(isKnownSkipReason(electron.reason)).toBe(true);
    expect(isKnownSkipReason(electronUnavailable({}, 'linux', () => '/nowhere/electron').reason)).toBe(true);
    // tests/integration/runs-deepspeed.test.ts and python-runtime/tests/test_engines_config.py
    expect(isKnownSkipReason('DeepSpeed is not installed (/venv/bin/deepspeed); 0 CUDA GPU(s), 2 needed')).toBe(true);
    expect(isKnownSkipReason('1 CUDA GPU(s), 2 needed')).toBe(true);
    expect(isKnownSkipReason('needs deepspeed installed and a CUDA GPU (not installable on this CI machine)')).toBe(true);
  });

  it('refuses other reasons and a skip without one', () => {
    expect(isKnownSkipReason('no Chromium at /usr/bin/chromium (apt-get install -y chromium, or set TUNEDESK_CHROMIUM)')).toBe(false);
    expect(isKnownSkipReason('POSIX signals')).toBe(false);
    expect(isKnownSkipReason(null)).toBe(false);
  });

  it('reads the reason from ctx.skip(note), else from the title withSkipReason made', () => {
    expect(skipReasonOf('suite > test', 'DeepSpeed is not installed')).toBe('DeepSpeed is not installed');
    expect(skipReasonOf(`${withSkipReason('the app', 'the Electron binary is missing (x)')} > opens`, undefined)).toBe('the Electron binary is missing (x) > opens');
    expect(skipReasonOf('suite > test', undefined)).toBeNull();
    expect(withSkipReason('the app', null)).toBe('the app');
  });
});

describe('the CI skip reporter', () => {
  // A nested vitest run of tests/fixtures/ci-skips with the real reporter (without this run's VITEST_* variables).
  const runFixture = (env: Record<string, string | undefined>) =>
    execa(join(REPO, 'node_modules', '.bin', 'vitest'), ['run', '--config', 'tests/fixtures/ci-skips/vitest.config.ts'], {
      cwd: REPO,
      reject: false,
      all: true,
      extendEnv: false,
      env: { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST') && k !== 'CI')), ...env },
    });

  it('fails a CI run with an unknown skip, naming each test and its reason', async () => {
    const run = await runFixture({ CI: '1', CI_SKIPS_FIXTURE: 'unknown' });
    expect(run.exitCode, run.all).toBe(1);
    expect(run.all).toMatch(/2 test\(s\) skipped in CI for a reason that is not a known one/);
    expect(run.all).toMatch(/skipped with no reason given: no reason given/);
    expect(run.all).toMatch(/skipped with an unknown note: the weather is bad/);
  });

  it('passes a CI run whose skips are known, and stays quiet outside CI', async () => {
    const known = await runFixture({ CI: '1', CI_SKIPS_FIXTURE: 'known' });
    expect(known.exitCode, known.all).toBe(0);
    const local = await runFixture({ CI_SKIPS_FIXTURE: 'unknown' });
    expect(local.exitCode, local.all).toBe(0);
    expect(local.all).not.toMatch(/skipped in CI/);
  });
});
