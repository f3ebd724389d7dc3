// @vitest-environment happy-dom
// "Start training" on the review step sends what the wizard chose: the GPUs picked in the Method
// step's chooser (or none, so the host decides), the preset, and the run configuration.
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiProvider } from '../../renderer/src/api-context';
import { ReviewStep } from '../../renderer/src/screens/wizard/ReviewStep';
import { useWizardStore } from '../../renderer/src/screens/wizard/wizard-store';
import { stubApi } from '../helpers/renderer-stub-api';

beforeEach(() => {
  useWizardStore.getState().reset();
  useWizardStore.setState({ step: 'review', draft: { ...useWizardStore.getState().draft, model_name_or_path: '/m', train_path: '/d.jsonl' } });
});
afterEach(cleanup);

async function startFromReview(): Promise<Record<string, unknown>> {
  const api = stubApi({ 'runs.start': () => ({ summary: { runId: 'run-1' } }) });
  render(
    <ApiProvider client={api.client}>
      <ReviewStep />
    </ApiProvider>,
  );
  fireEvent.click(await screen.findByRole('button', { name: 'Start training' }));
  await waitFor(() => expect(api.calls.some((c) => c.name === 'runs.start')).toBe(true));
  return api.calls.find((c) => c.name === 'runs.start')!.request as Record<string, unknown>;
}

describe('Start training on the review step', () => {
  it('sends the GPUs chosen in the Method step', async () => {
    useWizardStore.getState().setGpus([1, 3]);
    const request = await startFromReview();
    expect(request.gpus).toEqual([1, 3]);
    expect((request.config as Record<string, unknown>).model_name_or_path).toBe('/m');
  });

  it('sends no GPU list when none was chosen, so the host picks', async () => {
    const request = await startFromReview();
    expect(request).not.toHaveProperty('gpus');
  });
});
