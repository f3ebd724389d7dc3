// @vitest-environment happy-dom
// Bad numbers are stopped where they are typed: abc, -5, 1e99 and 0 each block Next on the Method
// step with the field's own message (no schema text), NaN never enters the draft, and a setting
// that blocks the run is on screen even with Expert settings off. Max prompt length is derived from
// max length unless typed, and the Review sends the derived value.
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recommend } from '../../electron/services/recommend/recommend';
import { ApiProvider } from '../../renderer/src/api-context';
import { toRunConfig } from '../../renderer/src/screens/wizard/ReviewStep';
import { WizardScreen } from '../../renderer/src/screens/wizard/WizardScreen';
import { useSettingsStore } from '../../renderer/src/shared-state/settings-store';
import { SETTINGS, cliCommand, derivedMaxSrcLen, describeDraft, parseSettingInput, validateDraft } from '../../renderer/src/shared-state/train-settings';
import { useWizardStore } from '../../renderer/src/screens/wizard/wizard-store';
import { gpuBudget, SIX_B } from '../helpers/recommend-fixtures';
import { stubApi } from '../helpers/renderer-stub-api';

const recommendation = recommend({ model: SIX_B, budget: gpuBudget(80, 1), seqLen: 512, microBatch: 1 });

beforeEach(() => {
  useWizardStore.getState().reset();
  useWizardStore.setState({ step: 'method', draft: { ...useWizardStore.getState().draft, model_name_or_path: '/m', train_path: '/d.jsonl' }, dataOk: true });
  useSettingsStore.setState({ expert: false });
});
afterEach(cleanup);

async function renderWizard() {
  const api = stubApi({ 'recommend.plan': () => recommendation, 'presets.list': () => ({ presets: [] }) });
  render(
    <ApiProvider client={api.client}>
      <WizardScreen />
    </ApiProvider>,
  );
  await screen.findByTestId('recommendation');
  return screen.getByRole('button', { name: 'Next' }) as HTMLButtonElement;
}

const type = (label: string, text: string) => fireEvent.change(screen.getByLabelText(label), { target: { value: text } });
const describedBy = (label: string) => document.getElementById(screen.getByLabelText(label).getAttribute('aria-describedby')!)!.textContent;

describe('numbers typed on the Method step', () => {
  it.each([
    ['Learning rate', 'abc', /must be a number \(not “abc”\)/],
    ['Learning rate', '-5', /must be more than 0/],
    ['Learning rate', '0', /must be more than 0/],
    ['Learning rate', '1e99', /at most 10/],
    ['Epochs', '1e99', /at most 1000/],
    ['Epochs', '0', /at least 1/],
    ['Epochs', '2.5', /whole number/],
    ['Batch size per device', '-5', /at least 1/],
    ['Max length (tokens)', 'abc', /must be a number/],
  ])('%s = %s blocks Next with the field’s own message', async (label, text, message) => {
    const next = await renderWizard();
    await waitFor(() => expect(next.disabled).toBe(false));
    type(label, text);
    expect(describedBy(label)).toMatch(message);
    expect(next.disabled).toBe(true);
    expect(screen.getByText(/Fix the setting marked in red above/)).toBeTruthy();
    for (const v of Object.values(useWizardStore.getState().draft)) expect(Number.isNaN(v)).toBe(false);
    expect(document.body.textContent).not.toMatch(/invalid_type|Expected number|Invalid input/);
    type(label, label.startsWith('Max length') ? '512' : '1');
    await waitFor(() => expect(next.disabled).toBe(false));
  });

  it('a setting that blocks is shown even with Expert settings off', async () => {
    useWizardStore.setState((s) => ({ draft: { ...s.draft, max_len: 512, max_src_len: 300 } }));
    const next = await renderWizard();
    type('Max length (tokens)', '64');
    expect(describedBy('Max prompt length')).toMatch(/shorter than max length \(64\).*at most 63/);
    expect(next.disabled).toBe(true);
    // An expert-only setting with a bad value (e.g. from a preset) is shown too.
    useWizardStore.getState().set('weight_decay', 7);
    expect(await screen.findByLabelText('Weight decay')).toBeTruthy();
    expect(describedBy('Weight decay')).toMatch(/at most 1/);
  });

  it('max prompt length is derived from max length unless typed, and the run gets it', async () => {
    const next = await renderWizard();
    type('Max length (tokens)', '64');
    expect((screen.getByLabelText('Max prompt length') as HTMLInputElement).placeholder).toBe('auto: 32');
    expect(next.disabled).toBe(false);
    const draft = useWizardStore.getState().draft;
    expect(toRunConfig(draft)).toMatchObject({ max_len: 64, max_src_len: 32 });
    expect(cliCommand(draft)).toContain('--max_src_len 32');
    expect(describeDraft(draft).join(' ')).toContain('prompts at 32 (derived from max length)');
  });
});

describe('parsing and limits', () => {
  const lr = SETTINGS.find((s) => s.key === 'learning_rate')!;
  it('text that is not a number stays text (never NaN)', () => {
    expect(parseSettingInput(lr, 'abc')).toBe('abc');
    expect(parseSettingInput(lr, '1e-4')).toBe(1e-4);
    expect(parseSettingInput(lr, ' 2 ')).toBe(2);
    expect(parseSettingInput(lr, '0x10')).toBe('0x10');
    expect(parseSettingInput(lr, 'Infinity')).toBe('Infinity');
    expect(parseSettingInput(lr, '1e999')).toBe('1e999');
  });
  it('every number setting has a largest value', () => {
    for (const spec of SETTINGS.filter((s) => s.type === 'int' || s.type === 'float')) {
      expect(spec.max, spec.key).toBeDefined();
      expect(validateDraft({ train_type: spec.methods?.[0] ?? 'lora', [spec.key]: 1e99 })[spec.key], spec.key).toMatch(/at most/);
    }
  });
  it('the derived prompt length leaves room for the answer', () => {
    expect(derivedMaxSrcLen(1024)).toBe(256);
    expect(derivedMaxSrcLen(64)).toBe(32);
    expect(derivedMaxSrcLen(8)).toBe(4);
    expect(derivedMaxSrcLen('abc')).toBe(256);
  });
});
