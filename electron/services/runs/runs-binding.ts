// Bindings of contract/runs.ts, checkpoints.ts and settings.ts to the services: one RunManager per
// host (re-attached to live runs on first use), its updates published on 'runs.update', and the
// quit guard's view of running trainings.
import { ApiError } from '../../api/api-error';
import type { ApiContext } from '../../api/context';
import type { HandlerMap } from '../../api/handler-types';
import { listCheckpoints } from '../checkpoints/checkpoint-list';
import { compareRuns } from '../checkpoints/compare-runs';
import { deleteCheckpoint, deleteRun } from '../checkpoints/delete-run';
import { NoTrashError } from '../checkpoints/delete-to-trash';
import { describeRun, listRuns } from '../checkpoints/run-list';
import { join, resolve } from 'node:path';
import { resolveInRun, resolveRunDir } from '../paths/run-paths';
import { BadNameError, InUseError, NothingThereError } from './refusals';
import { trainerDoctor } from '../python-env/doctor';
import { SettingsStore } from '../settings/settings-store';
import { readHistory } from './history-cache';
import { runPreflight } from './preflight';
import { planResume, ResumeRefusedError } from './resume-rules';
import { readTrainerConfig, runFiles } from './run-files';
import { loadPresets } from '../recommend/presets-store';
import { DEMO_PRESET_ID, ensureDemoModel, presetRunConfig } from './demo-setup';
import { RunManager } from './run-manager';
import { loadRunState } from './run-state';

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
  | 'runs.preflight'
  | 'checkpoints.list'
  | 'checkpoints.delete'
  | 'settings.get'
  | 'settings.setRunsRoot';

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

/** The run's REAL folder: a run folder that links out of the runs root is refused (403). */
async function existingRunDir(ctx: ApiContext, runId: string): Promise<string> {
  const dir = await resolveRunDir(ctx.runsRoot, runId).catch(asApiError);
  const state = dir ? await loadRunState(dir) : null;
  if (!dir || !state || (!state.config && !state.meta && state.summary.updatedAt === null && state.problems.length === 0)) {
    throw new ApiError('not_found', `no run "${runId}" in ${ctx.runsRoot}`, 'Pick a run from the runs list.', 'runId');
  }
  return dir;
}

/** Service errors that are refusals, not faults: each becomes a 4xx with its code and message. */
const asApiError = (error: unknown): never => {
  if (error instanceof ResumeRefusedError) throw new ApiError('resume_refused', error.message, 'Resume without these changes, or start a new run.');
  if (error instanceof NoTrashError) throw new ApiError('no_trash', error.message, 'Repeat with permanent: true to delete for good.');
  if (error instanceof InUseError) throw new ApiError('conflict', error.message, 'Stop the run first, then try again.');
  if (error instanceof NothingThereError) throw new ApiError('not_found', error.message, 'Refresh the list and pick again.');
  if (error instanceof BadNameError) throw new ApiError('invalid_request', error.message, 'Use a name exactly as the list shows it.');
  throw error;
};

async function runsRootInfo(ctx: ApiContext) {
  const store = new SettingsStore(ctx.dataDir);
  const stored = await store.read().catch(() => ({ runsRoot: undefined }));
  const source = process.env.TUNEDESK_RUNS_DIR ? 'env' : stored.runsRoot ? 'settings' : 'default';
  return { runsRoot: ctx.runsRoot, source, defaultRunsRoot: join(ctx.dataDir, 'runs') } as const;
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
  'checkpoints.list': async ({ runId }, ctx) => {
    const dir = await existingRunDir(ctx, runId);
    await resolveInRun(dir, 'checkpoints').catch(asApiError); // a checkpoints folder that links out: 403
    return { checkpoints: await listCheckpoints(dir) };
  },
  'checkpoints.delete': async ({ runId, name, permanent }, ctx) => {
    return deleteCheckpoint(ctx.runsRoot, runId, name, permanent).catch(asApiError);
  },
  'settings.get': (_request, ctx) => runsRootInfo(ctx),
  'settings.setRunsRoot': async ({ runsRoot }, ctx) => {
    await new SettingsStore(ctx.dataDir).update({ runsRoot: runsRoot ?? undefined });
    const effectiveNext = process.env.TUNEDESK_RUNS_DIR
      ? resolve(process.env.TUNEDESK_RUNS_DIR)
      : resolve(runsRoot ?? join(ctx.dataDir, 'runs'));
    return { ...(await runsRootInfo(ctx)), restartNeeded: effectiveNext !== ctx.runsRoot };
  },
};
