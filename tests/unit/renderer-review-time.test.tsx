// @vitest-environment happy-dom
// The review step's estimated time: asked of the host with the data check's figures, shown as a
// range with its basis, and asked again with the memory check's measured speed after "Measure".
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiProvider } from '../../renderer/src/api-context';
import { ReviewStep } from '../../renderer/src/screens/wizard/ReviewStep';
import { formatDuration, formatEstimate } from '../../renderer/src/screens/wizard/TimeEstimate';
import { useDataStatsStore } from '../../renderer/src/screens/wizard/data-stats-store';
import { useWizardStore } from '../../renderer/src/screens/wizard/wizard-store';
import { stubApi } from '../helpers/renderer-stub-api';

beforeEach(() => {
  useWizardStore.getState().reset();
  useWizardStore.setState({ step: 'review', draft: { ...useWizardStore.getState().draft, model_name_or_path: '/m', train_path: '/d.jsonl' } });
  useDataStatsStore.getState().record({ trainPath: '/d.jsonl', samples: 900, meanTokens: 180.5 });
});
afterEach(() => {
  cleanup();
  useDataStatsStore.getState().record(null);
});

const computeEstimate = {
  seconds: 720,
  lowSeconds: 480,
  highSeconds: 1200,
  steps: 900,
  tokensPerStep: 180.5,
  tokensPerSecond: 226,
  basis: 'A rough figure from the speed of H100, limited by per-step overhead (a small model); nothing has been measured on this machine yet — press Measure for a better one.',
  source: 'compute',
};
const measuredEstimate = { ...computeEstimate, seconds: 300, lowSeconds: 250, highSeconds: 400, source: 'preflight', basis: 'Speed measured by the memory check on this machine.' };

describe('estimated time on the review step', () => {
  it('shows a range and its basis before Start, and updates after the memory check measures the speed', async () => {
    const api = stubApi({
      'estimator.time': (request) => ((request as { measured?: unknown }).measured ? measuredEstimate : computeEstimate),
      'runs.preflight': () => ({
        status: 'completed',
        measuredPeakGb: 3.2,
        estimateGb: null,
        budgetGb: null,
        fits: null,
        longestSamples: true,
        measuredTokensPerSecond: 4000,
        measuredSecondsPerStep: 0.5,
        ladder: [],
        error: null,
      }),
    });
    render(
      <ApiProvider client={api.client}>
        <ReviewStep />
      </ApiProvider>,
    );
    const box = await screen.findByTestId('time-estimate');
    await waitFor(() => expect(box.textContent).toContain('Estimated time: about 12 min (8–20 min) — A rough figure from the speed of H100'));
    expect(box.textContent).toContain('900 optimizer steps of about 181 tokens');
    expect(box.textContent).toContain('The dashboard refines the remaining time from the first steps.');
    // The data check's figures go with the request, so the host need not count again.
    const first = api.calls.find((c) => c.name === 'estimator.time')!.request as Record<string, unknown>;
    expect(first.data).toEqual({ samples: 900, meanTokens: 180.5 });
    expect(first.measured).toBeUndefined();
    expect((first.config as Record<string, unknown>).train_path).toBe('/d.jsonl');

    fireEvent.click(screen.getByRole('button', { name: 'Measure' }));
    await waitFor(() => expect(box.textContent).toContain('Estimated time: about 5 min (4–7 min) — Speed measured by the memory check'));
    const last = api.calls.filter((c) => c.name === 'estimator.time').at(-1)!.request as Record<string, unknown>;
    expect(last.measured).toEqual({ tokensPerSecond: 4000, secondsPerStep: 0.5 });

    // A changed plan drops the measurement: it was of the old configuration.
    useWizardStore.getState().set('max_len', 1024);
    await waitFor(() => expect(box.textContent).toContain('about 12 min'));
    expect((api.calls.filter((c) => c.name === 'estimator.time').at(-1)!.request as Record<string, unknown>).measured).toBeUndefined();
  });

  it('says unknown, with the reason, when there is no basis; and leaves out stale data figures', async () => {
    useDataStatsStore.getState().record({ trainPath: '/other.jsonl', samples: 5, meanTokens: 10 });
    const api = stubApi({
      'estimator.time': () => ({ ...computeEstimate, seconds: null, lowSeconds: null, highSeconds: null, tokensPerSecond: null, source: 'unknown', basis: 'TuneDesk has no speed figure for the Mystery GPU: press Measure for a measured figure.' }),
    });
    render(
      <ApiProvider client={api.client}>
        <ReviewStep />
      </ApiProvider>,
    );
    const box = await screen.findByTestId('time-estimate');
    await waitFor(() => expect(box.textContent).toContain('Estimated time: unknown — TuneDesk has no speed figure for the Mystery GPU'));
    expect(box.textContent).not.toContain('tokens/s');
    expect((api.calls[0]!.request as Record<string, unknown>).data).toBeUndefined();
  });
});

describe('durations for people', () => {
  it('uses one unit and as few digits as an estimate can claim', () => {
    expect(formatDuration(42)).toBe('42 s');
    expect(formatDuration(720)).toBe('12 min');
    expect(formatDuration(3 * 3600)).toBe('3 h');
    expect(formatDuration(3.5 * 3600)).toBe('3.5 h');
    expect(formatDuration(30 * 3600)).toBe('30 h');
    expect(formatDuration(5 * 86400)).toBe('5 days');
    expect(formatEstimate({ seconds: 720, lowSeconds: 480, highSeconds: 1200 })).toBe('about 12 min (8–20 min)');
    expect(formatEstimate({ seconds: 4000, lowSeconds: 3000, highSeconds: 9000 })).toBe('about 67 min (50 min – 2.5 h)');
    expect(formatEstimate({ seconds: null, lowSeconds: null, highSeconds: null })).toBe('unknown');
  });
});
