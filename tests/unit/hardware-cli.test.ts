// The machine commands through the real CLI entry (node electron/cli/bin.mjs), with the fixture
// nvidia-smi: readable tables, --json validated by the contract schemas, usage errors.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { CliCommand } from '../../electron/cli/command';
import { UsageError } from '../../electron/cli/command';
import { hardwareReportSchema } from '../../electron/shared/contract/hardware';
import { modelInfoSchema } from '../../electron/shared/contract/models';
import { recommendationSchema } from '../../electron/shared/contract/recommend';
import { CHATGLM2_6B_CONFIG } from '../helpers/estimator-calibration-rows';

const ROOT = resolve(__dirname, '../..');
const SMI = resolve(__dirname, '../fixtures/nvidia-smi');
const scratch = mkdtempSync(join(tmpdir(), 'tunedesk-cli-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
writeFileSync(join(scratch, 'config.json'), JSON.stringify(CHATGLM2_6B_CONFIG));

/** Through the real entry point (a child node process): used once per command, it costs seconds. */
async function spawnCli(args: string[], fixture = 'one-gpu') {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [join(ROOT, 'electron/cli/bin.mjs'), ...args], {
      cwd: ROOT,
      env: { ...process.env, TUNEDESK_NVIDIA_SMI: join(SMI, fixture), TUNEDESK_RUNS_DIR: scratch },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** In-process: the same command module, console captured; usage errors mapped to exit 2 as main.ts does. */
async function cli(args: string[], fixture = 'one-gpu') {
  const [name, ...rest] = args;
  const { command } = (await import(`../../electron/cli/commands/${name}.ts`)) as { command: CliCommand };
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  const saved = { smi: process.env.TUNEDESK_NVIDIA_SMI, runs: process.env.TUNEDESK_RUNS_DIR };
  process.env.TUNEDESK_NVIDIA_SMI = join(SMI, fixture);
  process.env.TUNEDESK_RUNS_DIR = scratch;
  try {
    const code = await command.run(rest);
    return { code, stdout: out.join('\n'), stderr: err.join('\n') };
  } catch (e) {
    if (e instanceof UsageError) return { code: 2, stdout: out.join('\n'), stderr: e.message };
    throw e;
  } finally {
    log.mockRestore();
    error.mockRestore();
    process.env.TUNEDESK_NVIDIA_SMI = saved.smi;
    process.env.TUNEDESK_RUNS_DIR = saved.runs;
    if (saved.smi === undefined) delete process.env.TUNEDESK_NVIDIA_SMI;
    if (saved.runs === undefined) delete process.env.TUNEDESK_RUNS_DIR;
  }
}

describe.skipIf(process.platform === 'win32')('tunedesk CLI entry point', () => {
  it('runs doctor --json and recommend --json as child processes', async () => {
    const doctor = await spawnCli(['doctor', '--json', '--skip-trainer'], 'two-gpus');
    expect(doctor.code).toBe(0);
    expect(hardwareReportSchema.parse(JSON.parse(doctor.stdout)).gpus).toHaveLength(2);
    const usage = await spawnCli(['recommend', '--model', scratch, '--batch', 'two']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--batch takes a positive whole number[\s\S]*usage: tunedesk recommend/);
  });
});

describe.skipIf(process.platform === 'win32')('tunedesk doctor / inspect / recommend / presets', () => {
  it('doctor --json prints a schema-valid report; the table names the GPU', async () => {
    const json = await cli(['doctor', '--json', '--skip-trainer'], 'two-gpus');
    expect(json.code).toBe(0);
    const report = hardwareReportSchema.parse(JSON.parse(json.stdout));
    expect(report.gpus.map((g) => g.index)).toEqual([0, 1]);
    const text = await cli(['doctor', '--skip-trainer'], 'na-fields');
    expect(text.stdout).toMatch(/NVIDIA GeForce GTX 1080 +8\.0 GiB +7\.8 GiB +\? /);
  });

  it('doctor explains a failing nvidia-smi and still prints the host', async () => {
    const { stdout, code } = await cli(['doctor', '--skip-trainer'], 'garbage');
    expect(code).toBe(0);
    expect(stdout).toMatch(/nvidia-smi +error .*no GPU line could be read/);
    expect(stdout).toMatch(/^RAM +\d+\.\d GiB/m);
  });

  it('inspect prints the layout and needs; --json is schema-valid; a bad dir exits 1 with the reason', async () => {
    const text = await cli(['inspect', scratch]);
    expect(text.stdout).toMatch(/family +chatglm \(chatglm2-6b\)/);
    expect(text.stdout).toMatch(/needs +needs import-chatglm/);
    const json = await cli(['inspect', scratch, '--json']);
    expect(modelInfoSchema.parse(JSON.parse(json.stdout)).params).toBe(6_243_584_000);
    const bad = await cli(['inspect', join(scratch, 'missing')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/cannot inspect: .*cannot be read \(ENOENT\)/);
  });

  it('recommend ranks plans for the fixture A40; --json is schema-valid; bad flags are usage errors', async () => {
    const text = await cli(['recommend', '--model', scratch, '--max-len', '1560', '--skip-trainer']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^1 +\* Freeze, last 4 layers +fits/m);
    expect(text.stdout).toMatch(/Before training\n- needs import-chatglm/);
    const json = await cli(['recommend', '--model', scratch, '--json', '--skip-trainer', '--gpus', '0']);
    const r = recommendationSchema.parse(JSON.parse(json.stdout));
    expect(r.best).toBe('freeze');
    expect((await cli(['recommend', '--model', scratch, '--gpus', '3', '--skip-trainer'])).stderr).toMatch(/no NVIDIA GPU with index 3 \(this machine has: 0\)/);
    expect((await cli(['recommend', '--model', scratch, '--dtype', 'fp8'])).stderr).toMatch(/--dtype is fp16, bf16 or fp32/);
    expect((await cli(['recommend'])).stderr).toMatch(/--model DIR is required/);
  });

  it('presets lists the bundled six', async () => {
    const { stdout } = await cli(['presets']);
    expect(stdout.split('\n').filter((l) => /^(demo-cpu|lora-24gb|lora-small-gpu|freeze-last-4|ptuning-v2|full-zero3-offload) /.test(l))).toHaveLength(6);
    const json = JSON.parse((await cli(['presets', '--json'])).stdout) as { presets: unknown[] };
    expect(json.presets).toHaveLength(6);
  });
});
