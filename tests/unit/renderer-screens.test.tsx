// @vitest-environment happy-dom
// Screens against an in-memory API: the dashboard folds history + live updates and ends on a result
// card; the data step shows every bad line with its number and blocks Next; the route parser.
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseEventLine, type TrainerEvent } from '../../electron/shared/events';
import { ApiProvider } from '../../renderer/src/api-context';
import { parseRoute, routeHash, type Route } from '../../renderer/src/route';
import { RunScreen } from '../../renderer/src/screens/run/RunScreen';
import { MethodStep } from '../../renderer/src/screens/wizard/MethodStep';
import { PreflightCheck } from '../../renderer/src/screens/wizard/PreflightCheck';
import { WizardScreen } from '../../renderer/src/screens/wizard/WizardScreen';
import { useRunsStore } from '../../renderer/src/screens/run/runs-store';
import { useWizardStore } from '../../renderer/src/screens/wizard/wizard-store';
import { stubApi } from '../helpers/renderer-stub-api';

const golden = (name: string): TrainerEvent[] =>
  readFileSync(join(import.meta.dirname, '..', 'fixtures', 'golden-events', name), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const p = parseEventLine(l);
      if (!p.ok) throw new Error(p.error);
      return p.event;
    });

const summary = (status: string, extra: Record<string, unknown> = {}) => ({
  runId: 'r1',
  status,
  method: 'lora',
  engine: 'torch',
  model: '/m',
  totalSteps: 4,
  step: 0,
  epoch: null,
  lastMetrics: {},
  lastEval: {},
  lastLoss: null,
  bestLoss: null,
  stepsPerSecond: null,
  etaSeconds: null,
  startedAt: null,
  updatedAt: null,
  finishedAt: null,
  lastCheckpoint: null,
  error: null,
  logTail: [],
  malformedLines: 0,
  lastWarning: null,
  telemetry: [],
  recentSteps: [],
  ...extra,
});

beforeEach(() => {
  useRunsStore.setState({ runs: {} });
  useWizardStore.getState().reset();
});
afterEach(cleanup);

describe('RunScreen', () => {
  it('re-attaches from history, follows live updates and ends on the result card', async () => {
    const events = golden('completed-run.jsonl');
    const api = stubApi({ 'runs.history': () => ({ summary: summary('running'), events: events.slice(0, 4), malformedLines: 0 }) });
    render(
      <ApiProvider client={api.client}>
        <RunScreen runId="r1" />
      </ApiProvider>,
    );
    const dashboard = await screen.findByTestId('run-dashboard');
    expect(dashboard.getAttribute('data-status')).toBe('running');
    expect(api.listeners('runs.update')).toBe(1);
    expect(screen.getByRole('button', { name: 'Stop' })).toBeTruthy();
    expect(screen.getByTestId('chart-Loss').getAttribute('data-raw-points')).toBe('2');

    act(() => api.emit('runs.update', { runId: 'other', summary: summary('running', { runId: 'other' }), events: events.slice(4) }));
    expect(screen.getByTestId('chart-Loss').getAttribute('data-raw-points')).toBe('2');

    act(() => api.emit('runs.update', { runId: 'r1', summary: summary('completed', { lastCheckpoint: { step: 4, path: 'checkpoints/step-000004' } }), events: events.slice(4) }));
    await waitFor(() => expect(screen.getByTestId('run-dashboard').getAttribute('data-status')).toBe('completed'));
    expect(screen.getByTestId('chart-Loss').getAttribute('data-raw-points')).toBe('4');
    expect(screen.getByTestId('result-card').textContent).toMatch(/Training completed.*4 steps.*best loss 2\.9000/);
    expect(screen.queryByRole('button', { name: 'Stop' })).toBeNull();
  });

  it('a sampled history (a very long run read for the first time) is asked for again until it is whole', async () => {
    const events = golden('completed-run.jsonl');
    let asked = 0;
    const api = stubApi({
      'runs.history': () => {
        asked += 1;
        return asked === 1
          ? { summary: summary('completed'), events: [events[0]!, events.at(-1)!], malformedLines: 0, sampled: true }
          : { summary: summary('completed'), events, malformedLines: 0, sampled: false };
      },
    });
    render(
      <ApiProvider client={api.client}>
        <RunScreen runId="r1" />
      </ApiProvider>,
    );
    await waitFor(() => expect(screen.getByTestId('chart-Loss').getAttribute('data-raw-points')).toBe('4'), { timeout: 4000 });
    expect(asked).toBe(2);
  });

  it('a failed run shows the classified reason and what to do', async () => {
    const api = stubApi({ 'runs.history': () => ({ summary: summary('failed'), events: golden('failed-run.jsonl'), malformedLines: 0 }) });
    render(
      <ApiProvider client={api.client}>
        <RunScreen runId="r1" />
      </ApiProvider>,
    );
    const card = await screen.findByTestId('result-card');
    expect(card.textContent).toMatch(/The loss became NaN/);
    expect(card.textContent).toMatch(/What to do: Lower the learning rate/);
  });

  it('a crashed run shows the end of train.log and offers to resume', async () => {
    const events = golden('cancelled-run.jsonl').slice(0, 4);
    const api = stubApi({ 'runs.history': () => ({ summary: summary('crashed', { logTail: ['Killed'] }), events, malformedLines: 0 }) });
    render(
      <ApiProvider client={api.client}>
        <RunScreen runId="r1" />
      </ApiProvider>,
    );
    const card = await screen.findByTestId('result-card');
    expect(card.getAttribute('data-status')).toBe('crashed');
    expect(card.textContent).toContain('Killed');
    expect(screen.getByRole('button', { name: 'Resume from step-000002' })).toBeTruthy();
  });

  it('Stop calls runs.stop for this run', async () => {
    const api = stubApi({
      'runs.history': () => ({ summary: summary('running'), events: golden('completed-run.jsonl').slice(0, 3), malformedLines: 0 }),
      'runs.stop': () => ({ stage: 'cooperative' }),
    });
    render(
      <ApiProvider client={api.client}>
        <RunScreen runId="r1" />
      </ApiProvider>,
    );
    fireEvent.click(await screen.findByRole('button', { name: 'Stop' }));
    await waitFor(() => expect(api.calls.some((c) => c.name === 'runs.stop')).toBe(true));
    expect(api.calls.find((c) => c.name === 'runs.stop')!.request).toEqual({ runId: 'r1' });
  });
});

describe('Wizard data step', () => {
  it('lists every bad line with its number and keeps Next disabled until fixed or skipped', async () => {
    useWizardStore.setState({ step: 'data' });
    const api = stubApi({
      'system.pickPath': (r) => ({ path: (r as { typedPath: string }).typedPath }),
      'datasets.check': () => ({
        ok: false,
        trainPath: '/d/train.jsonl',
        samples: 98,
        format: 'jsonl',
        problems: [
          { file: '/d/train.jsonl', line: 57, reason: 'bad JSON: Expecting value' },
          { file: '/d/train.jsonl', line: 80, reason: 'field "output" is empty' },
        ],
        problemCount: 2,
        mode: null,
        stats: null,
        histogram: null,
        preview: [],
        error: null,
      }),
    });
    render(
      <ApiProvider client={api.client}>
        <WizardScreen />
      </ApiProvider>,
    );
    fireEvent.change(screen.getByLabelText('Data file'), { target: { value: '/d/train.jsonl' } });
    fireEvent.click(screen.getByRole('button', { name: 'Use this path' }));
    const problems = await screen.findByTestId('data-problems');
    expect(problems.textContent).toContain('line 57: bad JSON');
    expect(problems.textContent).toContain('line 80: field "output" is empty');
    const next = screen.getByRole('button', { name: 'Next' }) as HTMLButtonElement;
    expect(next.disabled).toBe(true);
    fireEvent.click(screen.getByLabelText(/skip the 2 bad line/));
    await waitFor(() => expect(next.disabled).toBe(false));
    expect(useWizardStore.getState().draft.skip_bad_lines).toBe(true);
  });
});

describe('Wizard method step', () => {
  const plan = (planId: string, label: string, method: unknown, verdict: string) => ({
    planId,
    label,
    method,
    settings: { dtype: 'bf16', microBatch: 1, seqLen: 512, gradientCheckpointing: true, gpus: 1, zeroStage: 0, offloadOptimizer: false, offloadParams: false },
    estimate: { perGpuBytes: 2e9, breakdown: { weights: 1e9, gradients: 0, optimizer: 0, activations: 5e8, logits: 2e8, overhead: 3e8 }, hostRamBytes: 1e9, trainableParams: 1, totalParams: 2, engine: 'torch', notes: [] },
    verdict,
    marginBytes: 1e9,
    reason: `${label} reason`,
    needs: verdict === 'unavailable' ? ['install DeepSpeed'] : [],
  });
  const recommendation = {
    device: 'cuda',
    gpuCount: 1,
    budgetBytes: 24e9,
    rows: [
      plan('lora-r8', 'LoRA r8', { kind: 'lora', rank: 8, targets: ['q_proj', 'v_proj'] }, 'fits'),
      plan('freeze-2', 'Freeze, last 2 layers', { kind: 'freeze', trainableLayers: 2 }, 'fits'),
      plan('zero3', 'Full, ZeRO-3', { kind: 'full' }, 'unavailable'),
    ],
    best: 'lora-r8',
    presets: [],
    warnings: [],
  };

  it('applies the recommended plan until the user picks one, and hides unavailable plans from newcomers', async () => {
    useWizardStore.setState({ step: 'method', draft: { ...useWizardStore.getState().draft, train_type: 'freeze', model_name_or_path: '/m' } });
    const api = stubApi({ 'recommend.plan': () => recommendation, 'presets.list': () => ({ presets: [] }) });
    render(
      <ApiProvider client={api.client}>
        <MethodStep />
      </ApiProvider>,
    );
    await screen.findByTestId('recommendation');
    // The memory bars are pictures with a label, not Tab stops (the row's radio is the one stop per plan).
    const bars = [...document.querySelectorAll('.rec-row .bar')];
    expect(bars.length).toBeGreaterThan(0);
    expect(bars.filter((b) => b.hasAttribute('tabindex') || b.getAttribute('role') !== 'img')).toEqual([]);
    await waitFor(() => expect(useWizardStore.getState().draft.train_type).toBe('lora'));
    expect(useWizardStore.getState().draft.lora_module_name).toBe('q_proj,v_proj');
    expect(screen.queryByText('Full, ZeRO-3')).toBeNull();
    expect(screen.getByText(/1 more plan\(s\) need something/)).toBeTruthy();
    fireEvent.click(screen.getByRole('radio', { name: /Freeze, last 2 layers/ }));
    expect(useWizardStore.getState().draft).toMatchObject({ train_type: 'freeze', trainable_layers: 2 });
    expect(useWizardStore.getState().methodChosen).toBe(true);
  });
});

describe('Preflight on the review step', () => {
  it('shows the measured peak beside the estimate and applies a ladder step', async () => {
    const api = stubApi({
      'runs.preflight': () => ({
        status: 'measured',
        measuredPeakGb: 30.5,
        estimateGb: 28,
        budgetGb: 24,
        fits: false,
        longestSamples: true,
        ladder: [{ change: 'Turn on gradient checkpointing', settings: { gradient_checkpointing: true }, why: 'recomputes activations' }],
        error: null,
      }),
    });
    render(
      <ApiProvider client={api.client}>
        <PreflightCheck config={{ train_type: 'lora', learning_rate: 1e-4, max_len: 512, per_device_train_batch_size: 1, num_train_epochs: 1, train_path: '/d', model_name_or_path: '/m' }} />
      </ApiProvider>,
    );
    fireEvent.click(screen.getByRole('button', { name: 'Measure' }));
    const result = await screen.findByTestId('preflight');
    expect(result.textContent).toContain('Measured peak 30.50 GiB (estimated 28.00 GiB) of 24.0 GiB available: it would not fit.');
    useWizardStore.getState().set('gradient_checkpointing', false);
    fireEvent.click(screen.getByRole('button', { name: 'Apply' }));
    expect(useWizardStore.getState().draft.gradient_checkpointing).toBe(true);
  });
});

describe('routes', () => {
  it('round-trip through the hash', () => {
    const routes: Route[] = [
      { screen: 'home' },
      { screen: 'wizard' },
      { screen: 'run', runId: 'a b' },
      { screen: 'runs', compare: ['x', 'y'] },
      { screen: 'export', runId: 'r', checkpoint: 'step-000004' },
      { screen: 'try' },
    ];
    for (const r of routes) expect(parseRoute(routeHash(r))).toEqual(r);
    expect(parseRoute('#/nonsense')).toEqual({ screen: 'home' });
  });
});
