// @vitest-environment happy-dom
// The model step with a ChatGLM-6B folder: the legacy-environment card explains, lists exactly the
// files that would run (size, short hash, full hash on hover), asks for an explicit agreement,
// sends back the files as shown, shows progress, and a failed install as message + what to do.
import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LegacyChatglmStatus } from '../../electron/shared/contract/legacy-chatglm';
import { ApiProvider } from '../../renderer/src/api-context';
import { formatBytes } from '../../renderer/src/screens/wizard/format';
import { ModelStep } from '../../renderer/src/screens/wizard/ModelStep';
import { useWizardStore } from '../../renderer/src/screens/wizard/wizard-store';
import { CHATGLM_6B_CONFIG } from '../helpers/estimator-calibration-rows';
import { modelFromConfig, SIX_B } from '../helpers/recommend-fixtures';
import { StubCallError, stubApi, type StubHandlers } from '../helpers/renderer-stub-api';

const DIR = '/models/chatglm-6b';
const glm1 = modelFromConfig(CHATGLM_6B_CONFIG, { dir: DIR, chatglmGeneration: 'chatglm-6b', remoteCode: { AutoModel: 'modeling_chatglm.ChatGLMForConditionalGeneration' } });
const SHA_A = 'a1'.repeat(32);
const SHA_B = 'b2'.repeat(32);

const status = (over: Partial<LegacyChatglmStatus> = {}): LegacyChatglmStatus => ({
  modelDir: DIR,
  explanation: 'ChatGLM-6B (the first generation) has no native implementation ... transformers 4.27-4.33 ...',
  files: [
    { name: 'modeling_chatglm.py', bytes: 57_620, sha256: SHA_A },
    { name: 'quantization.py', bytes: 15_054, sha256: SHA_B },
  ],
  env: { exists: false, path: '/app/python-runtime/.venv-legacy-chatglm', pins: ['transformers==4.33.3', 'torch==2.0.1'] },
  consent: false,
  ready: false,
  weightsNote: 'its weights are pickle files (.bin), which TuneDesk does not load: write a safetensors copy once with `python -m tunedesk convert-weights /models/chatglm-6b`',
  created: false,
  ...over,
});

function renderStep(handlers: StubHandlers) {
  const api = stubApi({ 'system.pickPath': (r) => ({ path: (r as { typedPath: string }).typedPath }), ...handlers });
  render(
    <ApiProvider client={api.client}>
      <ModelStep />
    </ApiProvider>,
  );
  fireEvent.change(screen.getByLabelText('Model folder'), { target: { value: DIR } });
  fireEvent.click(screen.getByRole('button', { name: 'Use this path' }));
  return api;
}

beforeEach(() => useWizardStore.getState().reset());
afterEach(cleanup);

describe('Model step: ChatGLM-6B legacy environment card', () => {
  it('explains, lists the files, asks for agreement, shows progress and a failed install in plain words', async () => {
    let fail = (_e: Error) => {};
    const api = renderStep({
      'models.inspect': () => glm1,
      'models.legacyChatglm': () => status(),
      'models.legacyChatglmAgree': () => new Promise((_resolve, reject) => (fail = reject)),
    });
    const card = await screen.findByTestId('legacy-chatglm-card');
    await within(card).findByTestId('legacy-files');
    expect(card.textContent).toMatch(/own Python code.*trust_remote_code.*transformers 4\.27–4\.33.*separate\s+environment/);
    const rows = within(screen.getByTestId('legacy-files')).getAllByRole('row').slice(1);
    expect(rows.map((r) => r.textContent)).toEqual([
      `modeling_chatglm.py${formatBytes(57_620)}${SHA_A.slice(0, 16)}…`,
      `quantization.py${formatBytes(15_054)}${SHA_B.slice(0, 16)}…`,
    ]);
    expect(within(rows[0]!).getByTitle(SHA_A).textContent).toBe(`${SHA_A.slice(0, 16)}…`); // the full hash on hover
    expect(screen.getByTestId('legacy-env-state').textContent).toMatch(/not created yet/);
    expect(screen.getByTestId('legacy-consent-state').textContent).toMatch(/not given/);
    expect(screen.queryByTestId('legacy-weights-note')).toBeNull(); // the convert-weights block says it (renderer-convert-weights.test.tsx)
    expect(screen.getByTestId('model-card').textContent).toMatch(/only in the separate legacy environment below/);

    const button = screen.getByRole('button', { name: 'Create the environment and agree' }) as HTMLButtonElement;
    expect(button.disabled).toBe(true);
    fireEvent.click(screen.getByLabelText('I have read these files and agree to run them'));
    expect(button.disabled).toBe(false);
    fireEvent.click(button);
    await screen.findByTestId('legacy-progress');
    expect(screen.getByRole('progressbar', { name: 'Creating the legacy environment' })).toBeTruthy();
    expect(button.disabled).toBe(true);
    // The agreement names exactly the files and hashes that were shown.
    expect(api.calls.find((c) => c.name === 'models.legacyChatglmAgree')!.request).toEqual({
      modelDir: DIR,
      files: [
        { name: 'modeling_chatglm.py', sha256: SHA_A },
        { name: 'quantization.py', sha256: SHA_B },
      ],
    });

    await act(async () =>
      fail(
        new StubCallError({
          code: 'trainer_unavailable',
          message: 'Could not install the legacy ChatGLM-6B packages (transformers 4.33.3, torch 2.0.1, cpm_kernels ...): No matching distribution found for transformers==4.33.3',
          hint: 'This needs internet access (or a wheel mirror that has these versions). Connect, then run the same command again.',
        }),
      ),
    );
    const alert = await within(card).findByText(/Could not install the legacy ChatGLM-6B packages/);
    expect(alert.textContent).toMatch(/Could not create the environment/);
    expect(alert.textContent).toMatch(/needs internet access/);
    expect(screen.queryByTestId('legacy-progress')).toBeNull();
    expect(button.disabled).toBe(false); // try again once connected
  });

  it('files changed since the user looked: shows why, reloads the list and asks again', async () => {
    let current = status();
    const api = renderStep({
      'models.inspect': () => glm1,
      'models.legacyChatglm': () => current,
      'models.legacyChatglmAgree': () => {
        current = status({ files: [{ name: 'modeling_chatglm.py', bytes: 10, sha256: 'c3'.repeat(32) }] });
        throw new StubCallError({ code: 'conflict', message: "The model's Python files changed since you looked: modeling_chatglm.py changed.", hint: 'Read the files as they are now, then agree again.' });
      },
    });
    await screen.findByTestId('legacy-files');
    fireEvent.click(screen.getByLabelText('I have read these files and agree to run them'));
    fireEvent.click(screen.getByRole('button', { name: 'Create the environment and agree' }));
    await screen.findByText(/changed since you looked/);
    await waitFor(() => expect(screen.getByTitle('c3'.repeat(32))).toBeTruthy());
    expect((screen.getByLabelText('I have read these files and agree to run them') as HTMLInputElement).checked).toBe(false);
    expect(api.calls.filter((c) => c.name === 'models.legacyChatglm')).toHaveLength(2);
  });

  it('after agreeing: ready, and nothing more to agree to', async () => {
    renderStep({
      'models.inspect': () => glm1,
      'models.legacyChatglm': () => status({ env: { ...status().env, exists: true } }),
      'models.legacyChatglmAgree': () => status({ env: { ...status().env, exists: true }, consent: true, ready: true }),
    });
    fireEvent.click(await screen.findByLabelText('I have read these files and agree to run them'));
    expect(useWizardStore.getState().legacyReady).toBe(false); // the wizard's Next waits
    fireEvent.click(screen.getByRole('button', { name: 'Agree to run these files' }));
    expect((await screen.findByTestId('legacy-ready')).textContent).toMatch(/P-Tuning and DeepSpeed\s+are not available there/);
    expect(useWizardStore.getState().legacyReady).toBe(true);
    expect(screen.getByTestId('legacy-consent-state').textContent).toMatch(/given for the files below/);
    expect(screen.queryByRole('button', { name: /agree/i })).toBeNull();
  });

  it('other models get no card and no legacy call', async () => {
    const api = renderStep({ 'models.inspect': () => ({ ...SIX_B, dir: DIR }) });
    await screen.findByTestId('model-card');
    expect(screen.queryByTestId('legacy-chatglm-card')).toBeNull();
    expect(api.calls.some((c) => c.name.startsWith('models.legacyChatglm'))).toBe(false);
  });
});
