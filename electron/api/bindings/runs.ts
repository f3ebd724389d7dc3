// Bindings of contract/runs.ts to the services: one RunManager per
// host (re-attached to live runs on first use), its updates published on 'runs.update', and the
// quit guard's view of running trainings.
import { ApiError } from '../api-error';
import type { ApiContext } from '../context';
import type { HandlerMap } from '../handler-types';
import { asApiError, existingRunDir } from '../run-refusals';
import { compareRuns } from '../../services/checkpoints/compare-runs';
import { deleteRun } from '../../services/checkpoints/delete-run';
import { describeRun, listRuns } from '../../services/checkpoints/run-list';
import { resolveInRun } from '../../services/paths/run-paths';
import { trainerDoctor } from '../../services/python-env/doctor';
import { readHistory } from '../../services/runs/history-cache';
import { runPreflight } from '../../services/runs/preflight';
import { planResume } from '../../services/runs/resume-rules';
import { readTrainerConfig, runFiles } from '../../services/runs/run-files';
import { loadPresets } from '../../services/recommend/presets-store';
import { DEMO_PRESET_ID, ensureDemoModel, presetRunConfig } from '../../services/runs/demo-setup';
import { RunManager } from '../../services/runs/run-manager';
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

/** The host's one run manager: built, re-attached and wired to the event hub on first use. */
export function runManagerFor(ctx: ApiContext): Promise<RunManager> {
  return ctx.service('runs.manager', async () => {
    const manager = new RunManager({ runsRoot: ctx.runsRoot });
    manager.subscribe('*', (update) => ctx.events.publish('runs.update', update));
    await manager.init({ adoptQueued: true });
    manager.watchRoot(); // runs started from the CLI or another window show live too
    ctx.trainings = {
      running: async () =>
        manager
          .list()
          .filter((s) => s.status === 'running' || s.status === 'queued')
          .map((s) => ({ runId: s.runId, label: `${s.runId} (step ${s.step}${s.totalSteps ? `/${s.totalSteps}` : ''})` })),
      stop: async (runId) => {
        await manager.stop(runId);
      },
    };
    // Closing the host stops watching, never the runs: they go on and are re-attached next time.
    ctx.onShutdown(() => manager.close());
    return manager;
  });
}

export const runsHandlers: HandlerMap<RunsCall> = {
  'runs.list': async (_request, ctx) => {
    await runManagerFor(ctx); // re-attach first, so live runs are watched while listed
    return { runs: await listRuns(ctx.runsRoot) };
  },
  'runs.get': async ({ runId }, ctx) => {
    const manager = await runManagerFor(ctx);
    const { summary, config, meta, process: _p, ...run } = await describeRun(await existingRunDir(ctx, runId));
    return { run, summary: manager.get(runId) ?? summary, config, meta };
  },
  'runs.history': async ({ runId }, ctx) => {
    const manager = await runManagerFor(ctx);
    const dir = await existingRunDir(ctx, runId);
    // Downsampled (min, max and last per bucket) and read incrementally: bounded and fast however long the run.
    const eventsFile = (await resolveInRun(dir, 'events.jsonl')) ?? runFiles(dir).events;
    const { events, malformedLines, sampled } = await readHistory(eventsFile);
    return { summary: manager.get(runId) ?? (await loadRunState(dir)).summary, events, malformedLines, sampled };
  },
  'runs.start': async ({ config, gpus, preset }, ctx) => {
    const manager = await runManagerFor(ctx);
    return { summary: await manager.start(config, { gpus, preset, baseDir: ctx.appRoot }) };
  },
  'runs.startDemo': async (_request, ctx) => {
    const preset = (await loadPresets()).find((p) => p.id === DEMO_PRESET_ID);
    if (!preset) throw new ApiError('internal', `the bundled preset ${DEMO_PRESET_ID} is missing`, 'Reinstall TuneDesk.');
    const model = await ensureDemoModel(ctx.dataDir).catch((error: Error) => {
      throw new ApiError('trainer_unavailable', error.message, 'Set up the trainer environment from Home, then try again.');
    });
    const manager = await runManagerFor(ctx);
    return { summary: await manager.start(presetRunConfig(preset, model), { preset: preset.id, baseDir: ctx.appRoot }) };
  },
  'runs.stop': async ({ runId }, ctx) => ({ stage: await (await runManagerFor(ctx)).stop(runId) }),
  'runs.planResume': async ({ runId, overrides }, ctx) => {
    const config = await readTrainerConfig(await existingRunDir(ctx, runId));
    return planResume(config ?? {}, overrides);
  },
  'runs.resume': async ({ runId, step, overrides, gpus }, ctx) => {
    const manager = await runManagerFor(ctx);
    await existingRunDir(ctx, runId);
    return manager.resume(runId, { step, overrides, gpus, baseDir: ctx.appRoot }).catch(asApiError);
  },
  'runs.delete': async ({ runId, permanent }, ctx) => {
    const live = (await runManagerFor(ctx)).get(runId);
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
    const manager = await runManagerFor(ctx);
    // Whether ZeRO offload is a real option here, or the ladder should say what to install for it.
    const deepspeedAvailable = (await trainerDoctor()).engines.deepspeed?.available ?? false;
    return runPreflight(manager, config, { gpus, estimateGb, budgetGb, deepspeedAvailable });
  },

};
