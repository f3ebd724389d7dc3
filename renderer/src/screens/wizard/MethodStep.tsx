// Wizard step 3: how to train. The recommender's table as bars (estimated memory per method against
// this machine's budget), presets as one-click cards, then the settings (all of them in expert mode).
import { useEffect, type KeyboardEvent } from 'react';
import type { Recommendation, RecommendationRow } from '../../../../electron/shared/contract/recommend';
import { ErrorNote } from '../../components/ErrorNote';
import { useCall } from '../../components/useCall';
import { useSettingsStore } from '../../shared-state/settings-store';
import { METHOD_NAMES } from '../../shared-state/train-settings';
import { useWizardStore } from './wizard-store';
import { formatBytes } from './format';
import { VERDICT_WORDS, memoryBars, planToConfig, selectedPlanId } from './method-rows';
import { SettingsForm } from './SettingsForm';
import { TrainerDefaults } from './TrainerDefaults';

export function MethodStep() {
  const draft = useWizardStore((s) => s.draft);
  const presetId = useWizardStore((s) => s.presetId);
  const applyPreset = useWizardStore((s) => s.applyPreset);
  const expert = useSettingsStore((s) => s.expert);
  const modelDir = typeof draft.model_name_or_path === 'string' ? draft.model_name_or_path : null;
  const maxLen = typeof draft.max_len === 'number' ? draft.max_len : 1024;
  const batch = typeof draft.per_device_train_batch_size === 'number' ? draft.per_device_train_batch_size : 1;
  const gpus = useWizardStore((s) => s.gpus);
  const rec = useCall('recommend.plan', modelDir ? { modelDir, maxLen, microBatch: batch, ...(gpus?.length ? { gpus } : {}) } : null);
  const presets = useCall('presets.list', {});

  return (
    <div className="stack">
      <p className="help">Pick how to train. The bars show the memory each method needs on this machine; the highlighted one is recommended.</p>
      <ErrorNote error={rec.error} title="No recommendation" />
      {rec.data?.gpuOptions && rec.data.gpuOptions.length > 1 && <GpuChooser rec={rec.data} />}
      {rec.data && <RecommendationTable rec={rec.data} />}
      {rec.data?.trainerDefaults && <TrainerDefaults defaults={rec.data.trainerDefaults} />}
      <section aria-label="Presets" className="stack">
        <h3>Presets</h3>
        <ErrorNote error={presets.error} />
        <div className="presets">
          {presets.data?.presets
            .filter((p) => p.model === 'user' || p.id === presetId)
            .map((p) => {
              const fit = rec.data?.presets.find((f) => f.id === p.id);
              return (
                <button
                  type="button"
                  key={p.id}
                  className="preset card"
                  aria-pressed={presetId === p.id}
                  onClick={() => applyPreset(p.id, p.config)}
                  title={fit?.reason ?? p.description}
                >
                  <strong>{p.title}</strong>
                  <span className="help">{p.audience}</span>
                  {fit && <span className={`badge ${fit.verdict === 'fits' ? 'ok' : fit.verdict === 'tight' ? 'warn' : 'bad'}`}>{VERDICT_WORDS[fit.verdict]}</span>}
                </button>
              );
            })}
        </div>
      </section>
      <section aria-label="Settings" className="stack">
        <h3>
          Settings for {METHOD_NAMES[String(draft.train_type)] ?? 'the method'} {!expert && <span className="help">(turn on Expert settings to see all)</span>}
        </h3>
        <SettingsForm />
      </section>
    </div>
  );
}

/** Several GPUs: which ones train. Unchosen, the recommender's default (the best plan across them) is shown checked. */
function GpuChooser({ rec }: { rec: Recommendation }) {
  const chosen = useWizardStore((s) => s.gpus) ?? rec.gpus ?? [];
  const setGpus = useWizardStore((s) => s.setGpus);
  // The default becomes the choice the run starts with (runs.start gets these GPUs, not all of them).
  const defaultGpus = rec.gpus;
  useEffect(() => {
    if (defaultGpus && useWizardStore.getState().gpus === null) setGpus(defaultGpus);
  }, [defaultGpus, setGpus]);
  const toggle = (index: number, on: boolean) => {
    const next = on ? [...new Set([...chosen, index])].sort((a, b) => a - b) : chosen.filter((i) => i !== index);
    if (next.length > 0) setGpus(next);
  };
  return (
    <fieldset className="card" aria-label="GPUs to train on">
      <legend>GPUs to train on</legend>
      <p className="help">Each chosen GPU gets the budget of the smallest one chosen{rec.gpus && ' — checked: the choice with the best plan'}.</p>
      <div className="row" style={{ gap: 16, flexWrap: 'wrap' }}>
        {rec.gpuOptions!.map((g) => (
          <label key={g.index} className="row" style={{ gap: 6 }}>
            <input type="checkbox" checked={chosen.includes(g.index)} disabled={chosen.length === 1 && chosen.includes(g.index)} onChange={(e) => toggle(g.index, e.target.checked)} />
            GPU {g.index}: {g.name}
            {g.freeBytes !== null && <span className="help">({formatBytes(g.freeBytes)} free)</span>}
          </label>
        ))}
      </div>
    </fieldset>
  );
}

function RecommendationTable({ rec }: { rec: Recommendation }) {
  const draft = useWizardStore((s) => s.draft);
  const planId = useWizardStore((s) => s.planId);
  const choosePlan = useWizardStore((s) => s.choosePlan);
  const expert = useSettingsStore((s) => s.expert);
  const bars = memoryBars(rec.rows, rec.budgetBytes);
  // Newcomers see the plans this machine can run; experts also see the unavailable ones and why.
  const shown = rec.rows.map((row, i) => ({ row, bar: bars[i]! })).filter(({ row }) => expert || row.verdict !== 'unavailable');
  const hidden = rec.rows.length - shown.length;
  // Selected by plan id: two rows of one kind (LoRA r8 / r16) are two different choices.
  const selected = selectedPlanId(rec.rows, planId, draft);
  const choose = (row: RecommendationRow) => choosePlan(row.planId, planToConfig(row), true);
  // A newcomer who has not chosen gets the recommended plan applied (they can still pick another).
  const best = rec.rows.find((r) => r.planId === rec.best);
  useEffect(() => {
    if (!best || useWizardStore.getState().methodChosen) return;
    useWizardStore.getState().choosePlan(best.planId, planToConfig(best), false);
  }, [best]);
  // Arrow keys move the choice to the next / previous row that can be chosen (and focus its radio),
  // the same rows a click reaches; the browser's own radio navigation is replaced, not doubled.
  const selectable = shown.filter(({ row }) => row.verdict !== 'unavailable').map(({ row }) => row);
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const step = e.key === 'ArrowDown' || e.key === 'ArrowRight' ? 1 : e.key === 'ArrowUp' || e.key === 'ArrowLeft' ? -1 : 0;
    const radio = e.target;
    if (!step || !(radio instanceof HTMLInputElement) || radio.type !== 'radio' || selectable.length === 0) return;
    e.preventDefault();
    const at = selectable.findIndex((r) => r.planId === radio.dataset.plan);
    const next = selectable[(at + step + selectable.length) % selectable.length]!;
    choose(next);
    e.currentTarget.querySelector<HTMLInputElement>(`input[data-plan="${next.planId}"]`)?.focus();
  };
  return (
    <section className="card" aria-label="Memory per method">
      <h3>
        Memory per {rec.device === 'cpu' ? 'CPU (system RAM)' : rec.device === 'mps' ? 'Apple GPU' : `GPU (${rec.gpuCount} found)`}
        {rec.budgetBytes !== null && <span className="help"> — budget {formatBytes(rec.budgetBytes)} (the line on each bar)</span>}
      </h3>
      {rec.warnings.map((w) => (
        <div key={w} className="alert">
          {w}
        </div>
      ))}
      <div className="rec-rows" data-testid="recommendation" role="radiogroup" aria-label="Method" onKeyDown={onKeyDown}>
        {shown.map(({ row, bar }) => {
          const b = row.estimate.breakdown;
          const breakdown = `weights ${formatBytes(b.weights)}, gradients ${formatBytes(b.gradients)}, optimizer ${formatBytes(b.optimizer)}, activations ${formatBytes(b.activations)}, logits ${formatBytes(b.logits)}, overhead ${formatBytes(b.overhead)}`;
          return (
            <div key={row.planId} className={`rec-row${row.planId === rec.best ? ' best' : ''}`} data-plan={row.planId}>
              <label className="row" style={{ gap: 6 }}>
                <input
                  type="radio"
                  name="method"
                  data-plan={row.planId}
                  checked={row.planId === selected}
                  onChange={() => choose(row)}
                  disabled={row.verdict === 'unavailable'}
                  tabIndex={row.planId === selected || (selected === null && row === selectable[0]) ? 0 : -1}
                />
                {row.label}
                {row.planId === rec.best && <span className="badge ok">recommended</span>}
              </label>
              <div className={`bar ${bar.tone === 'off' ? '' : bar.tone}`} style={{ height: 14 }} title={breakdown} role="img" aria-label={`${formatBytes(row.estimate.perGpuBytes)}: ${breakdown}`}>
                <div style={{ width: `${bar.fraction * 100}%`, opacity: bar.tone === 'off' ? 0.3 : 1 }} />
                {bar.budgetAt !== null && <span className="budget-line" style={{ left: `${bar.budgetAt * 100}%` }} />}
              </div>
              <span className="num" style={{ whiteSpace: 'nowrap' }}>
                {formatBytes(row.estimate.perGpuBytes)} <span className={`badge ${bar.tone === 'off' ? '' : bar.tone}`}>{VERDICT_WORDS[row.verdict]}</span>
              </span>
              <span className="help rec-reason">
                {row.reason}
                {row.needs.length > 0 && ` — ${row.needs.join('; ')}`}
              </span>
              <span className="help rec-reason rec-breakdown">{breakdown}</span>
            </div>
          );
        })}
      </div>
      {hidden > 0 && <p className="help">{hidden} more plan(s) need something this machine lacks; turn on Expert settings to see them.</p>}
    </section>
  );
}
