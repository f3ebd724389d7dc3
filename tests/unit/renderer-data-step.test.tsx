// @vitest-environment happy-dom
// The Data step: the trainer's data options are toggles (leaving out empty answers checks again with
// the new rule; skipping bad lines unblocks Next), the report goes as soon as the path is edited,
// the same problem on many lines is one entry with a count, and each cut in the preview names the
// limit that made it.
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DataCheckReport } from '../../electron/shared/contract/datasets';
import { ApiProvider } from '../../renderer/src/api-context';
import { groupProblems } from '../../renderer/src/screens/wizard/DataReport';
import { WizardScreen } from '../../renderer/src/screens/wizard/WizardScreen';
import { useWizardStore } from '../../renderer/src/screens/wizard/wizard-store';
import { stubApi } from '../helpers/renderer-stub-api';

const file = '/d/train.jsonl';
const listAnswers = [3, 7, 9, 12, 15, 21, 30, 31, 40, 41].map((line) => ({ file, line, reason: 'field "output" is a list' }));
const report = (over: Partial<DataCheckReport> = {}): DataCheckReport => ({
  ok: false,
  trainPath: file,
  samples: 90,
  format: 'jsonl',
  problems: [{ file, line: 57, reason: 'bad JSON: Expecting value' }, ...listAnswers],
  problemCount: 11,
  mode: null,
  stats: null,
  histogram: null,
  preview: [
    {
      line: 1,
      tokens: 64,
      truncated: true,
      cutBy: ['max_len', 'max_src_len'],
      segments: [
        { text: 'long prompt', kind: 'prompt' },
        { text: ' middle', kind: 'truncated', limit: 'max_src_len' },
        { text: 'answer', kind: 'answer' },
        { text: ' end', kind: 'truncated', limit: 'max_len' },
      ],
    },
  ],
  error: null,
  ...over,
});

beforeEach(() => {
  useWizardStore.getState().reset();
  useWizardStore.setState((s) => ({ step: 'data', draft: { ...s.draft, max_len: 64 } }));
});
afterEach(cleanup);

function renderWith(check: (request: Record<string, unknown>) => DataCheckReport) {
  const api = stubApi({
    'system.pickPath': (r) => ({ path: (r as { typedPath: string }).typedPath }),
    'datasets.check': (r) => check(r as Record<string, unknown>),
  });
  render(
    <ApiProvider client={api.client}>
      <WizardScreen />
    </ApiProvider>,
  );
  return api;
}

const usePath = (path: string) => {
  fireEvent.change(screen.getByLabelText('Data file'), { target: { value: path } });
  fireEvent.click(screen.getByRole('button', { name: 'Use this path' }));
};

describe('Data step', () => {
  it('groups a repeated problem into one entry with its count and lines', async () => {
    renderWith(() => report());
    usePath(file);
    const problems = await screen.findByTestId('data-problems');
    const items = [...problems.querySelectorAll('li')].map((li) => li.textContent);
    expect(items).toEqual(['line 57: bad JSON: Expecting value', 'field "output" is a list — 10 lines: 3, 7, 9, 12, 15, 21, 30, 31, … (2 more)']);
  });

  it('leaving out empty answers checks again with that rule; skipping bad lines unblocks Next', async () => {
    const api = renderWith((r) => (r.dropEmptyOutput ? report({ samples: 80 }) : report()));
    usePath(file);
    await screen.findByTestId('data-problems');
    const next = screen.getByRole('button', { name: 'Next' }) as HTMLButtonElement;
    expect(next.disabled).toBe(true);
    fireEvent.click(screen.getByLabelText('Leave out samples with an empty answer'));
    await screen.findByLabelText(/Train on the 80 valid samples/);
    expect(api.calls.filter((c) => c.name === 'datasets.check').at(-1)!.request).toMatchObject({ dropEmptyOutput: true });
    expect(useWizardStore.getState().draft.drop_empty_output).toBe(true);
    expect(next.disabled).toBe(true);
    fireEvent.click(screen.getByLabelText(/skip the 11 bad line/));
    await waitFor(() => expect(next.disabled).toBe(false));
    expect(useWizardStore.getState().draft.skip_bad_lines).toBe(true);
  });

  it('the report goes as soon as the path is edited, and Next waits for the new check', async () => {
    renderWith(() => report({ ok: true, problems: [], problemCount: 0 }));
    usePath(file);
    await screen.findByTestId('data-report');
    const next = screen.getByRole('button', { name: 'Next' }) as HTMLButtonElement;
    await waitFor(() => expect(next.disabled).toBe(false));
    fireEvent.change(screen.getByLabelText('Data file'), { target: { value: '/d/other.jsonl' } });
    expect(screen.queryByTestId('data-report')).toBeNull();
    expect(next.disabled).toBe(true);
  });

  it('labels each cut with the limit that made it', async () => {
    renderWith(() => report());
    usePath(file);
    const sample = await screen.findByTestId('preview-sample');
    expect(sample.textContent).toContain('sample cut at max length (64 tokens)');
    expect(sample.textContent).toContain('prompt cut at max prompt length (32 tokens)');
    const cuts = [...sample.querySelectorAll('.truncated')].map((el) => el.getAttribute('title'));
    expect(cuts).toEqual(['cut by max prompt length', 'cut by max length']);
  });
});

describe('groupProblems', () => {
  it('keeps the order of first appearance', () => {
    expect(groupProblems([{ file, line: 2, reason: 'b' }, { file, line: 1, reason: 'a' }, { file, line: 3, reason: 'b' }])).toEqual([
      { reason: 'b', lines: [2, 3] },
      { reason: 'a', lines: [1] },
    ]);
  });
});
