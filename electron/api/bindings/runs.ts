// Bindings of contract/runs.ts to the services. The host's one run manager is the context's
// (ctx.runs(): re-attached to live runs on first use, its updates published on 'runs.update').
import { ApiError } from '../api-error';
import type { HandlerMap } from '../handler-types';
import { asApiError, existingRunDir } from '../run-refusals';
import { compareRuns } from '../../services/runs/compare-runs';
import { deleteRun } from '../../services/runs/delete-run';
import { describeRun, listRuns } from '../../services/runs/run-list';
import { resolveInRun } from '../../services/paths/run-paths';
import { trainerDoctor } from '../../services/python-env/doctor';
import { readHistory } from '../../services/runs/history-cache';
import { runPreflight } from '../../services/runs/preflight';
import { planResume } from '../../services/runs/resume-rules';
import { readTrainerConfig, runFiles } from '../../services/runs/run-files';
import { loadPresets } from '../../services/recommend/presets-store';
import { DEMO_PRESET_ID, ensureDemoModel, presetRunConfig } from '../../services/runs/demo-setup';
import { loadRunState } from '../../services/runs/run-state';

type RunsCall =
  | 'runs.list'
  | 'runs.get'
  | 'runs.history'
  | 'runs.start'
  | 'runs.startDemo'
  | 'runs.stop'
  | 'runs.planResume'
  | 'runs.resume'
  | 'runs.delete'
  | 'runs.compare'
  | 'runs.preflight';

export const runsHandlers: HandlerMap<RunsCall> = {
  'runs.list': async (_request, ctx) => {
    await ctx.runs(); // re-attach first, so live runs are watched while listed
    return { runs: await listRuns(ctx.runsRoot) };
  },
  'runs.get': async ({ runId }, ctx) => {
    const manager = await ctx.runs();
    const { summary, config, meta, process: _p, ...run } = await describeRun(await existingRunDir(ctx, runId));
    return { run, summary: manager.get(runId) ?? summary, config, meta };
  },
  'runs.history': async ({ runId }, ctx) => {
    const manager = await ctx.runs();
    const dir = await existingRunDir(ctx, runId);
    // Downsampled (min, max and last per bucket) and read incrementally: bounded and fast however long the run.
    const eventsFile = (await resolveInRun(dir, 'events.jsonl')) ?? runFiles(dir).events;
    const { events, malformedLines, sampled } = await readHistory(eventsFile);
    return { summary: manager.get(runId) ?? (await loadRunState(dir)).summary, events, malformedLines, sampled };
  },
  'runs.start': async ({ config, gpus, preset }, ctx) => {
    const manager = await ctx.runs();
    return { summary: await manager.start(config, { gpus, preset, baseDir: ctx.appRoot }) };
  },
  'runs.startDemo': async (_request, ctx) => {
    const preset = (await loadPresets()).find((p) => p.id === DEMO_PRESET_ID);
    if (!preset) throw new ApiError('internal', `the bundled preset ${DEMO_PRESET_ID} is missing`, 'Reinstall TuneDesk.');
    const model = await ensureDemoModel(ctx.dataDir).catch((error: Error) => {
      throw new ApiError('trainer_unavailable', error.message, 'Set up the trainer environment from Home, then try again.');
    });
    const manager = await ctx.runs();
    return { summary: await manager.start(presetRunConfig(preset, model), { preset: preset.id, baseDir: ctx.appRoot }) };
  },
  'runs.stop': async ({ runId }, ctx) => ({ stage: await (await ctx.runs()).stop(runId) }),
  'runs.planResume': async ({ runId, overrides }, ctx) => {
    const config = await readTrainerConfig(await existingRunDir(ctx, runId));
    return planResume(config ?? {}, overrides);
  },
  'runs.resume': async ({ runId, step, overrides, gpus }, ctx) => {
    const manager = await ctx.runs();
    await existingRunDir(ctx, runId);
    return manager.resume(runId, { step, overrides, gpus, baseDir: ctx.appRoot }).catch(asApiError);
  },
  'runs.delete': async ({ runId, permanent }, ctx) => {
    const live = (await ctx.runs()).get(runId);
    if (live && (live.status === 'running' || live.status === 'queued')) {
      throw new ApiError('conflict', `run ${runId} is still ${live.status}; stop it first, then delete it.`, 'Stop the run first, then try again.');
    }
    return deleteRun(ctx.runsRoot, runId, permanent).catch(asApiError);
  },
  'runs.compare': async ({ runIds, metrics }, ctx) => {
    for (const id of runIds) await existingRunDir(ctx, id);
    return compareRuns(ctx.runsRoot, runIds, metrics);
  },
  'runs.preflight': async ({ config, gpus, estimateGb, budgetGb }, ctx) => {
    const manager = await ctx.runs();
    // Whether ZeRO offload is a real option here, or the ladder should say what to install for it.
    const deepspeedAvailable = (await trainerDoctor()).engines.deepspeed?.available ?? false;
    return runPreflight(manager, config, { gpus, estimateGb, budgetGb, deepspeedAvailable });
  },

};
