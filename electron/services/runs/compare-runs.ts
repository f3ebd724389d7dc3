// Comparing runs: every metric as one series per run, aligned on the union of the steps any run
// logged (null where a run has no value at that step), and the run.json settings that differ.
import { join } from 'node:path';
import { settingsOfMethod } from '../../shared/method-settings';
import { readEventsFile } from './events-tailer';
import { readTrainerConfig } from './run-files';
import { resolveInRun, resolveRunDir } from '../paths/run-paths';

export interface RunComparison {
  steps: number[];
  /** metric -> runId -> values aligned with `steps`. */
  series: Record<string, Record<string, (number | null)[]>>;
  /** A run whose method does not use a setting has no value for it (undefined, shown as not used). */
  configDiff: { key: string; values: Record<string, unknown> }[];
}

/** Keys that always differ between runs and say nothing about how they trained. */
const NOT_SETTINGS = new Set(['output_dir', 'resume_from']);

export async function compareRuns(runsRoot: string, runIds: string[], metrics?: string[]): Promise<RunComparison> {
  const perRun = new Map<string, Map<number, Record<string, number | null>>>();
  const configs = new Map<string, Record<string, unknown>>();
  for (const runId of runIds) {
    // Real paths: a run folder or events file that links out of the runs root is refused.
    const dir = (await resolveRunDir(runsRoot, runId)) ?? join(runsRoot, runId);
    const byStep = new Map<number, Record<string, number | null>>();
    await readEventsFile((await resolveInRun(dir, 'events.jsonl')) ?? join(dir, 'events.jsonl'), (events) => {
      for (const e of events) {
        if (e.type === 'metrics' || e.type === 'eval') byStep.set(e.step, { ...byStep.get(e.step), ...e.values });
      }
    });
    perRun.set(runId, byStep);
    // Only the settings the run's method read: a LoRA run has no "freeze_module_name" to compare.
    configs.set(runId, settingsOfMethod((await readTrainerConfig(dir).catch(() => null)) ?? {}));
  }
  const steps = [...new Set([...perRun.values()].flatMap((m) => [...m.keys()]))].sort((a, b) => a - b);
  const names = metrics ?? [...new Set([...perRun.values()].flatMap((m) => [...m.values()].flatMap((v) => Object.keys(v))))].sort();
  const series: RunComparison['series'] = {};
  for (const name of names) {
    series[name] = {};
    for (const [runId, byStep] of perRun) series[name][runId] = steps.map((s) => byStep.get(s)?.[name] ?? null);
  }
  const keys = [...new Set([...configs.values()].flatMap((c) => Object.keys(c)))].filter((k) => !NOT_SETTINGS.has(k)).sort();
  const configDiff = keys
    .map((key) => ({ key, values: Object.fromEntries(runIds.flatMap((id) => (configs.get(id) && key in configs.get(id)! ? [[id, configs.get(id)![key]]] : []))) }))
    .filter((d) => Object.keys(d.values).length < runIds.length || new Set(Object.values(d.values).map((v) => JSON.stringify(v ?? null))).size > 1);
  return { steps, series, configDiff };
}
