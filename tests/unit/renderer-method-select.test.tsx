// @vitest-environment happy-dom
// The Method step selects by plan, never by method kind: clicking any row (LoRA r16 beside r8,
// P-Tuning v1 beside v2, ZeRO-2 beside ZeRO-3, after Freeze or not) checks exactly that row and
// applies its settings, and the arrow keys walk the same rows. The rows are the real recommender's.
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recommend } from '../../electron/services/recommend/recommend';
import { ApiProvider } from '../../renderer/src/api-context';
import { MethodStep } from '../../renderer/src/screens/wizard/MethodStep';
import { planToConfig, selectedPlanId } from '../../renderer/src/screens/wizard/method-rows';
import { useSettingsStore } from '../../renderer/src/shared-state/settings-store';
import { useWizardStore } from '../../renderer/src/screens/wizard/wizard-store';
import { gpuBudget, SIX_B } from '../helpers/recommend-fixtures';
import { stubApi } from '../helpers/renderer-stub-api';

// An 80 GiB GPU with DeepSpeed: every plan of a 6B model is on screen, most of them choosable.
const recommendation = recommend({ model: SIX_B, budget: gpuBudget(80, 1), seqLen: 512, microBatch: 1 });

beforeEach(() => {
  useWizardStore.getState().reset();
  useWizardStore.setState({ step: 'method', draft: { ...useWizardStore.getState().draft, model_name_or_path: '/m' } });
  useSettingsStore.setState({ expert: true });
});
afterEach(cleanup);

async function renderStep() {
  const api = stubApi({ 'recommend.plan': () => recommendation, 'presets.list': () => ({ presets: [] }) });
  render(
    <ApiProvider client={api.client}>
      <MethodStep />
    </ApiProvider>,
  );
  await screen.findByTestId('recommendation');
  await waitFor(() => expect(useWizardStore.getState().planId).toBe(recommendation.best));
}

const radios = () => screen.getAllByRole('radio') as HTMLInputElement[];
const checkedPlans = () => radios().filter((r) => r.checked).map((r) => r.dataset.plan);
const choosable = recommendation.rows.filter((r) => r.verdict !== 'unavailable');

describe('Method step selection', () => {
  it('the recommendation has rows of one kind that differ (the case that went wrong)', () => {
    const ids = choosable.map((r) => r.planId);
    expect(ids).toEqual(expect.arrayContaining(['lora-r16', 'lora-r8', 'lora-r8-nockpt', 'ptuning-v1', 'ptuning-v2', 'full-zero2', 'full-zero3', 'freeze']));
  });

  it('a click on every row checks that row only and applies its settings, in any order', async () => {
    await renderStep();
    expect(checkedPlans()).toEqual([recommendation.best]);
    // Forward, then backward after Freeze: each click lands on the row clicked.
    const order = [...choosable, ...choosable.slice().reverse()];
    for (const row of order) {
      fireEvent.click(radios().find((r) => r.dataset.plan === row.planId)!);
      expect(checkedPlans()).toEqual([row.planId]);
      expect(useWizardStore.getState().planId).toBe(row.planId);
      expect(useWizardStore.getState().draft).toMatchObject(planToConfig(row));
    }
    expect(useWizardStore.getState().methodChosen).toBe(true);
  });

  it('arrow keys move the choice row by row, both ways, wrapping around', async () => {
    await renderStep();
    const ids = choosable.map((r) => r.planId);
    fireEvent.click(radios().find((r) => r.dataset.plan === ids[0])!);
    for (let i = 1; i <= ids.length; i++) {
      act(() => {
        const focused = document.activeElement as HTMLInputElement | null;
        fireEvent.keyDown(focused?.dataset.plan ? focused : radios().find((r) => r.checked)!, { key: 'ArrowDown' });
      });
      const want = ids[i % ids.length]!;
      expect(checkedPlans()).toEqual([want]);
      expect((document.activeElement as HTMLInputElement).dataset.plan).toBe(want);
      expect(useWizardStore.getState().draft).toMatchObject(planToConfig(choosable[i % ids.length]!));
    }
    for (let i = ids.length - 1; i >= 0; i--) {
      act(() => {
        fireEvent.keyDown(document.activeElement!, { key: 'ArrowUp' });
      });
      expect(checkedPlans()).toEqual([ids[i]]);
    }
  });

  it('unavailable rows can be neither clicked nor reached with the keys', async () => {
    const withUnavailable = recommend({ model: SIX_B, budget: gpuBudget(80, 1, { deepspeed: false, deepspeedDetail: 'not installed' }), seqLen: 512, microBatch: 1 });
    const off = withUnavailable.rows.filter((r) => r.verdict === 'unavailable').map((r) => r.planId);
    expect(off.length).toBeGreaterThan(0);
    const api = stubApi({ 'recommend.plan': () => withUnavailable, 'presets.list': () => ({ presets: [] }) });
    render(
      <ApiProvider client={api.client}>
        <MethodStep />
      </ApiProvider>,
    );
    await screen.findByTestId('recommendation');
    for (const id of off) expect(radios().find((r) => r.dataset.plan === id)!.disabled).toBe(true);
    const on = withUnavailable.rows.filter((r) => r.verdict !== 'unavailable').map((r) => r.planId);
    fireEvent.click(radios().find((r) => r.dataset.plan === on[on.length - 1])!);
    fireEvent.keyDown(radios().find((r) => r.checked)!, { key: 'ArrowDown' });
    expect(checkedPlans()).toEqual([on[0]]);
  });
});

describe('selectedPlanId', () => {
  const rows = recommendation.rows;
  it('keeps the chosen plan while the settings say what it says', () => {
    const r8 = rows.find((r) => r.planId === 'lora-r8')!;
    expect(selectedPlanId(rows, 'lora-r8', planToConfig(r8))).toBe('lora-r8');
  });
  it('after an edit or a preset, shows the row the settings match exactly, or none', () => {
    const r16 = rows.find((r) => r.planId === 'lora-r16')!;
    expect(selectedPlanId(rows, 'lora-r8', planToConfig(r16))).toBe('lora-r16');
    expect(selectedPlanId(rows, null, { ...planToConfig(r16), lora_dim: 32 })).toBeNull();
  });
});

describe('choosing GPUs', () => {
  it('starts from the recommender’s default, sends the choice to recommend.plan, and keeps one at least', async () => {
    const withGpus = {
      ...recommendation,
      gpus: [1],
      gpuOptions: [
        { index: 0, name: 'RTX 4090', freeBytes: 24 * 1024 ** 3 },
        { index: 1, name: 'A100 80GB', freeBytes: 80 * 1024 ** 3 },
      ],
    };
    const api = stubApi({ 'recommend.plan': (r) => ({ ...withGpus, gpus: (r as { gpus?: number[] }).gpus ?? [1] }), 'presets.list': () => ({ presets: [] }) });
    render(
      <ApiProvider client={api.client}>
        <MethodStep />
      </ApiProvider>,
    );
    const a100 = (await screen.findByLabelText(/GPU 1: A100 80GB/)) as HTMLInputElement;
    const rtx = screen.getByLabelText(/GPU 0: RTX 4090/) as HTMLInputElement;
    await waitFor(() => expect(useWizardStore.getState().gpus).toEqual([1]));
    expect(a100.checked).toBe(true);
    expect(rtx.checked).toBe(false);
    expect(a100.disabled).toBe(true); // the last chosen GPU cannot be unchosen
    expect(screen.getByText('(80.0 GiB free)')).toBeTruthy();
    fireEvent.click(rtx);
    expect(useWizardStore.getState().gpus).toEqual([0, 1]);
    await waitFor(() => expect(api.calls.filter((c) => c.name === 'recommend.plan').at(-1)!.request).toMatchObject({ gpus: [0, 1] }));
  });
});

describe('the trainer defaults of the recommended plan', () => {
  it('are listed with their reasons, as the recommender gives them', async () => {
    await renderStep();
    const box = screen.getByTestId('trainer-defaults');
    for (const d of recommendation.trainerDefaults!) expect(box.textContent).toContain(`${d.setting} ${d.value}: ${d.why}`);
    expect(box.querySelector('summary')!.textContent).toContain('gradient checkpointing');
  });
});
