// @vitest-environment happy-dom
// Try as a chat: the second question carries the first exchange as history, the sampling settings
// reach predict.start (temperature 0 = greedy), an export can be chosen instead of a checkpoint, each
// answer shows "Generating…" with tokens/s while it streams, and bad settings block Ask where typed.
import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiProvider } from '../../renderer/src/api-context';
import { answerFromEvents, newAnswer, speedText } from '../../renderer/src/screens/try/chat-turns';
import { TryScreen } from '../../renderer/src/screens/try/TryScreen';
import { stubApi } from '../helpers/renderer-stub-api';

afterEach(cleanup);

const run = {
  runId: 'R', runDir: '/runs/R', status: 'completed', method: 'lora', model: '/base', bestLoss: 1, lastLoss: 1, step: 4, totalSteps: 4, startedAt: 1, finishedAt: 2,
  durationSeconds: 1, parent: null, problems: [],
  checkpoints: [{ name: 'step-000004', path: 'checkpoints/step-000004', absolutePath: '/runs/R/checkpoints/step-000004', step: 4, complete: true, loss: 1.5, sizeBytes: 1, created: null, problem: null }],
};

function setup() {
  let job = 0;
  const api = stubApi({
    'runs.list': () => ({ runs: [run] }),
    'export.list': () => ({ exports: [{ name: 'merged-fp16', path: '/runs/R/exports/merged-fp16', kind: 'merged', format: 'hf', dtype: 'fp16', step: 4, passed: true, maxAbsLogitDiff: 0, created: 1 }] }),
    'predict.start': (r) => ({ jobId: `j${++job}`, model: (r as { model: string }).model }),
    'predict.cancel': () => ({ cancelled: true }),
  });
  render(
    <ApiProvider client={api.client}>
      <TryScreen runId="R" />
    </ApiProvider>,
  );
  return api;
}
const starts = (api: ReturnType<typeof stubApi>) => api.calls.filter((c) => c.name === 'predict.start').map((c) => c.request as Record<string, unknown>);

describe('Try chat', () => {
  it('streams an answer with a generating state, then continues the conversation with history', async () => {
    const api = setup();
    const question = await screen.findByLabelText('Question');
    fireEvent.change(question, { target: { value: 'Translate to English: 鱼' } });
    fireEvent.click(screen.getByRole('button', { name: 'Ask' }));
    await waitFor(() => expect(starts(api)).toHaveLength(1));
    expect(starts(api)[0]).toMatchObject({ model: '/runs/R/checkpoints/step-000004', prompt: 'Translate to English: 鱼', greedy: true, maxNewTokens: 64 });
    expect(starts(api)[0]!.history).toBeUndefined();
    await waitFor(() => expect(screen.getByTestId('answer-tuned').getAttribute('data-done')).toBe('false'));
    expect(screen.getByTestId('answer-speed').textContent).toBe('Generating… (loading the model)');
    expect(screen.getByRole('button', { name: 'Generating…' })).toHaveProperty('disabled', true);
    act(() => api.emit('predict.tokens', { jobId: 'j1', index: 0, text: 'fi', done: false }));
    act(() => api.emit('predict.tokens', { jobId: 'j1', index: 1, text: 'sh', done: false }));
    expect(screen.getByTestId('answer-tuned').textContent).toContain('fish');
    act(() => api.emit('predict.tokens', { jobId: 'j1', index: 2, text: '', done: true, outcome: { status: 'completed', text: 'fish', tokens: 2, seconds: 0.5 } }));
    await waitFor(() => expect(screen.getByTestId('answer-tuned').getAttribute('data-done')).toBe('true'));
    expect(screen.getByTestId('answer-speed').textContent).toBe('2 tokens · 4.0 tokens/s');

    fireEvent.change(screen.getByLabelText('Next question'), { target: { value: 'And 猫?' } });
    fireEvent.change(screen.getByLabelText('Temperature'), { target: { value: '0.7' } });
    fireEvent.change(screen.getByLabelText('Top-p'), { target: { value: '0.8' } });
    fireEvent.change(screen.getByLabelText('Max new tokens'), { target: { value: '20' } });
    fireEvent.click(screen.getByRole('button', { name: 'Ask' }));
    await waitFor(() => expect(starts(api)).toHaveLength(2));
    expect(starts(api)[1]).toMatchObject({
      prompt: 'And 猫?',
      greedy: false,
      temperature: 0.7,
      topP: 0.8,
      maxNewTokens: 20,
      history: [
        { role: 'user', content: 'Translate to English: 鱼' },
        { role: 'assistant', content: 'fish' },
      ],
    });
    expect(screen.getAllByTestId('chat-turn')).toHaveLength(2);
  });

  it('talks to an export when one is chosen, and bad settings block Ask where they are typed', async () => {
    const api = setup();
    const model = await screen.findByLabelText('Model');
    await waitFor(() => expect(within(model).getByRole('option', { name: /merged-fp16/ })).toBeTruthy());
    fireEvent.change(model, { target: { value: 'export:merged-fp16' } });
    fireEvent.change(screen.getByLabelText('Question'), { target: { value: 'hi' } });
    fireEvent.change(screen.getByLabelText('Top-p'), { target: { value: '1.5' } });
    expect(screen.getByText('Top-p is a number above 0 and at most 1.')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Ask' })).toHaveProperty('disabled', true);
    fireEvent.change(screen.getByLabelText('Top-p'), { target: { value: '0.9' } });
    fireEvent.click(screen.getByRole('button', { name: 'Ask' }));
    await waitFor(() => expect(starts(api)).toHaveLength(1));
    expect(starts(api)[0]!.model).toBe('/runs/R/exports/merged-fp16');
  });

  it('folds streamed pieces into a live speed, and the final count from the trainer', () => {
    const a = newAnswer(100);
    const live = answerFromEvents(a, [{ index: 1, text: 'b', done: false }, { index: 0, text: 'a', done: false }], 101);
    expect(live).toMatchObject({ text: 'ab', done: false, tokens: 2, seconds: 1 });
    expect(speedText(live)).toBe('2 tokens · 2.0 tokens/s');
    const failed = answerFromEvents(a, [{ index: 0, text: '', done: true, outcome: { status: 'failed', partial: 'x', error: { message: 'no', hint: 'do' } } }], 102);
    expect(failed).toMatchObject({ status: 'failed', text: 'x', done: true });
  });
});
