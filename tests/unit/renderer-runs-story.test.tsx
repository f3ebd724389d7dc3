// @vitest-environment happy-dom
// The runs screens tell one story: a resumed run links its parent and the parent its children (dashboard
// and runs list), the resumed run's charts start with the parent's curve, charts name their axes and
// explain their dashed lines, the peak never goes down, checkpoint buttons say which checkpoint they act
// on, and Compare shows readable names with no setting of a method a run did not use.
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TrainerEvent } from '../../electron/shared/events';
import { ApiProvider } from '../../renderer/src/api-context';
import { MetricChart } from '../../renderer/src/charts/MetricChart';
import { RunScreen } from '../../renderer/src/screens/run/RunScreen';
import { CompareRuns } from '../../renderer/src/screens/runs/CompareRuns';
import { RunsScreen } from '../../renderer/src/screens/runs/RunsScreen';
import { runningMax } from '../../renderer/src/shared-state/run-selectors';
import { useRunsStore } from '../../renderer/src/screens/run/runs-store';
import { stubApi } from '../helpers/renderer-stub-api';

const started = (runId: string, extra: Record<string, unknown> = {}): TrainerEvent =>
  ({ v: 1, ts: 1, type: 'run_started', run_id: runId, method: 'lora', engine: 'torch', model: '/m', total_steps: 40, trainable_params: 1, total_params: 2, config: {}, ...extra }) as TrainerEvent;
const metrics = (step: number, loss: number, peak = 0.5): TrainerEvent =>
  ({ v: 1, ts: 1 + step, type: 'metrics', step, epoch: 0, values: { loss, lr: 0.001, grad_norm: 1, tokens_per_s: 100, mem_gb: 0.4, mem_peak_gb: peak } }) as TrainerEvent;
const checkpoint = (step: number): TrainerEvent => ({ v: 1, ts: 100 + step, type: 'checkpoint_saved', step, path: `checkpoints/step-${String(step).padStart(6, '0')}` }) as TrainerEvent;
const finished = (status: string, step: number): TrainerEvent => ({ v: 1, ts: 200 + step, type: 'run_finished', status, step }) as TrainerEvent;

const summary = (runId: string, status: string, step: number) => ({
  runId, status, method: 'lora', engine: 'torch', model: '/m', totalSteps: 40, step, epoch: null, lastMetrics: {}, lastEval: {}, lastLoss: null, bestLoss: null,
  stepsPerSecond: null, etaSeconds: null, startedAt: null, updatedAt: null, finishedAt: null, lastCheckpoint: null, error: null, logTail: [], malformedLines: 0,
  lastWarning: null, telemetry: [], recentSteps: [],
});
const listing = (runId: string, parent: { run_id: string; checkpoint: string } | null, startedAt: number) => ({
  runId, runDir: `/runs/${runId}`, status: 'cancelled', method: 'lora', model: '/m', bestLoss: 3, lastLoss: 3, step: 20, totalSteps: 40, startedAt, finishedAt: startedAt + 5,
  durationSeconds: 5, parent,
  checkpoints: [10, 20].map((step) => ({ name: `step-0000${step}`, path: `checkpoints/step-0000${step}`, absolutePath: `/runs/${runId}/checkpoints/step-0000${step}`, step, complete: true, loss: 3, sizeBytes: 1000, created: null, problem: null })),
  problems: [],
});

// parent P: steps 1..20, stopped at 20 (peak 0.9 at step 5, then lower readings); child C resumed from step 20.
const parentEvents = [started('P'), ...Array.from({ length: 20 }, (_, i) => metrics(i + 1, 5 - i / 10, i + 1 === 5 ? 0.9 : 0.5)), checkpoint(20), finished('cancelled', 20)];
const childEvents = [started('C', { start_step: 20 }), metrics(21, 2.9, 0.6), metrics(22, 2.8, 0.55), metrics(23, 2.7, 0.6), checkpoint(23), finished('cancelled', 23)];

function api(child = childEvents) {
  return stubApi({
    'runs.history': (r) => {
      const id = (r as { runId: string }).runId;
      return id === 'P' ? { summary: summary('P', 'cancelled', 20), events: parentEvents, malformedLines: 0 } : { summary: summary('C', 'cancelled', 23), events: child, malformedLines: 0 };
    },
    'runs.get': (r) => {
      const id = (r as { runId: string }).runId;
      return {
        run: listing(id, null, 0),
        summary: summary(id, 'cancelled', 20),
        config: {},
        meta: id === 'C' ? { run_id: 'C', parent: { run_id: 'P', checkpoint: 'checkpoints/step-000020', step: 20 } } : { run_id: 'P', parent: null },
      };
    },
    'runs.list': () => ({ runs: [listing('C', { run_id: 'P', checkpoint: 'checkpoints/step-000020' }, 10), listing('P', null, 1)] }),
  });
}

beforeEach(() => useRunsStore.setState({ runs: {} }));
afterEach(cleanup);

describe('resume keeps the story', () => {
  it('the resumed run links its parent and draws the parent curve up to the resume step, with a resume marker', async () => {
    const a = api();
    render(
      <ApiProvider client={a.client}>
        <RunScreen runId="C" />
      </ApiProvider>,
    );
    const from = await screen.findByTestId('resumed-from');
    expect(from.textContent).toMatch(/Resumed from P at step 20/);
    expect(within(from).getByRole('link', { name: 'P' }).getAttribute('href')).toBe('#/run/P');
    const loss = screen.getByTestId('chart-Loss');
    await waitFor(() => expect(loss.getAttribute('data-first-x')).toBe('1')); // the parent's first point
    expect(within(loss).getAllByTestId('marker-legend').map((m) => m.textContent)).toEqual(['resumed here', 'checkpoint saved']);
    // The numbers agree: the dashboard's step is the run's last step (23), not its first metrics step,
    // the badge says what the banner says, and the best loss says which step it is from.
    expect(screen.getByTestId('run-dashboard').getAttribute('data-step')).toBe('23');
    expect(screen.getByRole('heading', { level: 1 }).querySelector('.badge')!.textContent).toBe('stopped');
    expect(screen.getByTestId('result-card').textContent).toMatch(/Stopped at your request.*Stopped after step 23/);
    expect(screen.getByRole('region', { name: 'Progress' }).textContent).toMatch(/Step 23 of 40.*best loss 2\.7000 at step 23/);
  });

  it('a resumed run stopped before its first metrics still shows the parent curve', async () => {
    const a = api([started('C', { start_step: 20 }), checkpoint(20), finished('cancelled', 20)]);
    render(
      <ApiProvider client={a.client}>
        <RunScreen runId="C" />
      </ApiProvider>,
    );
    await screen.findByTestId('resumed-from');
    await waitFor(() => expect(screen.getByTestId('chart-Loss').getAttribute('data-raw-points')).toBe('20'));
  });

  it('the parent links the run resumed from it', async () => {
    const a = api();
    render(
      <ApiProvider client={a.client}>
        <RunScreen runId="P" />
      </ApiProvider>,
    );
    const as = await screen.findByTestId('resumed-as');
    expect(within(as).getByRole('link', { name: 'C' }).getAttribute('href')).toBe('#/run/C');
    expect(screen.queryByTestId('resumed-from')).toBeNull();
  });

  it('the runs list shows the link both ways, and every checkpoint button names its checkpoint', async () => {
    const a = api();
    render(
      <ApiProvider client={a.client}>
        <RunsScreen compare={[]} />
      </ApiProvider>,
    );
    const table = await screen.findByTestId('runs-table');
    const child = table.querySelector('tr[data-run="C"]') as HTMLElement;
    const parent = table.querySelector('tr[data-run="P"]') as HTMLElement;
    expect(within(child).getByTestId('run-lineage').textContent).toMatch(/resumed from P at step-000020/);
    expect(within(parent).getByTestId('run-lineage').textContent).toMatch(/resumed as C/);
    fireEvent.click(within(parent).getByRole('button', { name: /checkpoint\(s\) of P/ }));
    await screen.findByTestId('checkpoints');
    const names = screen.getAllByRole('button', { name: /of P$/ }).map((b) => b.getAttribute('aria-label'));
    expect(names).toContain('Resume from step-000010 of P');
    expect(names).toContain('Export step-000020 of P');
    expect(new Set(names).size).toBe(names.length);
  });
});

describe('charts', () => {
  it('name both axes, start a memory axis at zero and explain the dashed lines', () => {
    render(
      <MetricChart
        title="Memory"
        unit="GiB"
        yLabel="memory (GiB)"
        yFromZero
        lines={[{ id: 'm', label: 'now', xs: [1, 2, 3], ys: [0.363, 0.365, 0.366], color: 'red' }]}
        domain={null}
        onDomainChange={() => {}}
        markers={[{ x: 2, label: 'checkpoint saved' }]}
      />,
    );
    const chart = screen.getByTestId('chart-Memory');
    expect(chart.querySelector('[data-axis="x"]')!.textContent).toBe('optimizer step');
    expect(chart.querySelector('[data-axis="y"]')!.textContent).toBe('memory (GiB)');
    const ticks = [...chart.querySelectorAll('text.tick')].map((t) => t.textContent);
    expect(ticks).toContain('0');
    expect(within(chart).getByTestId('marker-legend').textContent).toBe('checkpoint saved');
  });

  it('the peak never goes down, and a resumed run continues its parent peak', () => {
    expect(runningMax([0.5, 0.9, 0.6, null, 1.0])).toEqual([0.5, 0.9, 0.9, null, 1.0]);
    expect(runningMax([0.6, 0.55], 0.9)).toEqual([0.9, 0.9]);
  });
});

describe('compare', () => {
  it('shows readable metric names and settings, and "not used" for a setting of another method', async () => {
    const a = stubApi({
      'runs.compare': () => ({
        steps: [1, 2],
        series: { loss: { A: [3, 2], B: [3.1, 2.2] }, tokens_per_s: { A: [10, 11], B: [9, 8] } },
        configDiff: [
          { key: 'train_type', values: { A: 'lora', B: 'freeze' } },
          { key: 'freeze_module_name', values: { B: 'layers.27.' } },
          { key: 'learning_rate', values: { A: 0.0002, B: 0.0001 } },
        ],
      }),
    });
    render(
      <ApiProvider client={a.client}>
        <CompareRuns runIds={['A', 'B']} />
      </ApiProvider>,
    );
    await screen.findByTestId('chart-Training loss');
    expect(screen.getByTestId('chart-Tokens per second')).toBeTruthy();
    const rows = [...screen.getByRole('region', { name: 'Settings that differ' }).querySelectorAll('tbody tr')].map((r) => [...r.children].map((c) => c.textContent));
    expect(rows[0]).toEqual(['Method train_type', 'LoRA', 'Freeze (train the last layers only)']);
    expect(rows[1]).toEqual(['Trainable module names freeze_module_name', 'not used by this method', 'layers.27.']);
    expect(rows[2]).toEqual(['Learning rate learning_rate', '0.0002', '0.0001']);
  });
});
