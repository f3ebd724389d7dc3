// @vitest-environment happy-dom
// The model step with pickle-only weights: one calm block says what and why, writes the
// safetensors copy on one click (indeterminate progress meanwhile), reads the model again so the
// need goes away, and shows a failure as message + what to do. ChatGLM-6B says it once too.
import { act, cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConvertWeightsResult, ModelInfo } from '../../electron/shared/contract/models';
import type { LegacyChatglmStatus } from '../../electron/shared/contract/legacy-chatglm';
import { ApiProvider } from '../../renderer/src/api-context';
import { formatBytes } from '../../renderer/src/screens/wizard/format';
import { ModelStep } from '../../renderer/src/screens/wizard/ModelStep';
import { useWizardStore } from '../../renderer/src/screens/wizard/wizard-store';
import { CHATGLM_6B_CONFIG } from '../helpers/estimator-calibration-rows';
import { modelFromConfig, SIX_B } from '../helpers/recommend-fixtures';
import { StubCallError, stubApi, type StubHandlers } from '../helpers/renderer-stub-api';

const DIR = '/models/old-llama';
const NEED =
  'needs convert-weights: the weights are pickle files (.bin), which TuneDesk does not load; write a safetensors copy beside them once with `python -m tunedesk convert-weights <dir>` (it reads tensors only, no code runs)';
const pickled: ModelInfo = { ...SIX_B, dir: DIR, sizeOnDiskBytes: 12_000_000_000, needs: [NEED], notes: ['weights are PyTorch pickles (.bin), whose headers are not read: parameter count from the config formula'] };
const converted: ModelInfo = { ...SIX_B, dir: DIR, paramsSource: 'safetensors', weightFiles: ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'], needs: [] };
const result: ConvertWeightsResult = {
  modelDir: DIR,
  converted: true,
  sources: ['pytorch_model-00001-of-00002.bin', 'pytorch_model-00002-of-00002.bin'],
  shards: ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'],
  tensors: 291,
  bytes: 12_100_000_000,
  note: '',
};

function renderStep(handlers: StubHandlers, dir = DIR) {
  const api = stubApi({ 'system.pickPath': (r) => ({ path: (r as { typedPath: string }).typedPath }), ...handlers });
  render(
    <ApiProvider client={api.client}>
      <ModelStep />
    </ApiProvider>,
  );
  fireEvent.change(screen.getByLabelText('Model folder'), { target: { value: dir } });
  fireEvent.click(screen.getByRole('button', { name: 'Use this path' }));
  return api;
}

const mentions = (pattern: RegExp) => (document.body.textContent!.match(new RegExp(pattern.source, 'g')) ?? []).length;

beforeEach(() => useWizardStore.getState().reset());
afterEach(cleanup);

describe('Model step: pickle-only weights', () => {
  it('says what and why once, converts on one click with progress, then reads the model again and the need is gone', async () => {
    let finish = (_r: ConvertWeightsResult) => {};
    let inspected = pickled;
    const api = renderStep({
      'models.inspect': () => inspected,
      'models.convertWeights': () => new Promise((resolve) => (finish = resolve)),
    });
    const card = await screen.findByTestId('convert-weights-card');
    expect(card.textContent).toMatch(/pickle files \(\.bin\).*can run code.*safetensors copy beside them, reading tensors only.*\.bin files stay/);
    expect(card.textContent).toContain(`free disk space as the .bin files take (up to ${formatBytes(12_000_000_000)} here)`);
    // Said once: the model card no longer repeats the need (nor the terminal command).
    expect(screen.getByTestId('model-card').textContent).not.toMatch(/convert-weights/);
    expect(mentions(/safetensors copy beside them/)).toBe(1);
    expect(screen.queryByRole('progressbar')).toBeNull();

    const button = within(card).getByRole('button', { name: 'Write a safetensors copy' }) as HTMLButtonElement;
    fireEvent.click(button);
    await screen.findByTestId('convert-weights-progress');
    const bar = screen.getByRole('progressbar', { name: 'Writing the safetensors copy' });
    expect(bar.getAttribute('aria-valuenow')).toBeNull(); // indeterminate
    expect(button.disabled).toBe(true);
    expect(api.calls.filter((c) => c.name === 'models.convertWeights').map((c) => c.request)).toEqual([{ modelDir: DIR }]);

    inspected = converted;
    await act(async () => finish(result));
    const done = await screen.findByTestId('convert-weights-done');
    expect(done.textContent).toMatch(/Wrote model-00001-of-00002\.safetensors, model-00002-of-00002\.safetensors beside pytorch_model-00001-of-00002\.bin/);
    expect(done.textContent).toMatch(/291 tensors.*\.bin files are unchanged/);
    expect(api.calls.filter((c) => c.name === 'models.inspect')).toHaveLength(2);
    expect(screen.queryByRole('button', { name: 'Write a safetensors copy' })).toBeNull();
    expect(screen.queryByTestId('convert-weights-progress')).toBeNull();
    expect(useWizardStore.getState().model).toEqual(converted);
    expect(useWizardStore.getState().draft.model_name_or_path).toBe(DIR);
  });

  it('a failed conversion: the message and what to do, no progress, the button again, no re-inspection', async () => {
    let fail = (_e: Error) => {};
    const api = renderStep({
      'models.inspect': () => pickled,
      'models.convertWeights': () => new Promise((_resolve, reject) => (fail = reject)),
    });
    fireEvent.click(await screen.findByRole('button', { name: 'Write a safetensors copy' }));
    await screen.findByTestId('convert-weights-progress');
    await act(async () =>
      fail(
        new StubCallError({
          code: 'model_dir',
          field: 'modelDir',
          message: '/models/old-llama: the safetensors copy needs about 12.1 GB and the disk has 3.0 GB free.',
          hint: 'Free some space on that disk (the .bin files can be deleted after the conversion), then convert again.',
        }),
      ),
    );
    const card = screen.getByTestId('convert-weights-card');
    const alert = within(card).getByRole('alert');
    expect(alert.textContent).toMatch(/^Could not write the safetensors copy: .*needs about 12\.1 GB and the disk has 3\.0 GB free\./);
    expect(within(alert).getByText(/Free some space on that disk/)).toBeTruthy();
    expect(screen.queryByTestId('convert-weights-progress')).toBeNull();
    expect((within(card).getByRole('button', { name: 'Write a safetensors copy' }) as HTMLButtonElement).disabled).toBe(false);
    expect(api.calls.filter((c) => c.name === 'models.inspect')).toHaveLength(1);
  });

  it('models with safetensors weights get no block and no call', async () => {
    const api = renderStep({ 'models.inspect': () => converted });
    await screen.findByTestId('model-card');
    expect(screen.queryByTestId('convert-weights-card')).toBeNull();
    expect(api.calls.some((c) => c.name === 'models.convertWeights')).toBe(false);
  });

  it('ChatGLM-6B with .bin weights: the advice appears once, as this block, not in its legacy card too', async () => {
    const glmDir = '/models/chatglm-6b';
    const glm1 = modelFromConfig(CHATGLM_6B_CONFIG, {
      dir: glmDir,
      chatglmGeneration: 'chatglm-6b',
      remoteCode: { AutoModel: 'modeling_chatglm.ChatGLMForConditionalGeneration' },
      needs: ['legacy environment: ChatGLM-6B (first generation) runs only with its own remote code ...', NEED],
    });
    const status: LegacyChatglmStatus = {
      modelDir: glmDir,
      explanation: '...',
      files: [{ name: 'modeling_chatglm.py', bytes: 10, sha256: 'a1'.repeat(32) }],
      env: { exists: false, path: '/env', pins: [] },
      consent: false,
      ready: false,
      weightsNote: `its weights are pickle files (.bin), which TuneDesk does not load: write a safetensors copy once with \`python -m tunedesk convert-weights ${glmDir}\``,
      created: false,
    };
    renderStep({ 'models.inspect': () => glm1, 'models.legacyChatglm': () => status }, glmDir);
    await screen.findByTestId('legacy-files');
    expect(screen.getByTestId('convert-weights-card')).toBeTruthy();
    expect(screen.queryByTestId('legacy-weights-note')).toBeNull();
    expect(mentions(/convert-weights/)).toBe(0); // no terminal command anywhere: the button does it
    expect(mentions(/pickle files/)).toBe(1);
  });
});
