// @vitest-environment happy-dom
// Setting up the trainer shows where the installer is (its "step N/M" lines) as words and as a
// progress fraction, and streams the log below.
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiProvider } from '../../renderer/src/api-context';
import { TrainerSetup } from '../../renderer/src/screens/home/TrainerSetup';
import { stubApi } from '../helpers/renderer-stub-api';

afterEach(cleanup);

describe('TrainerSetup', () => {
  it('shows the installer step as progress while it runs', async () => {
    let finish: (v: unknown) => void = () => {};
    const api = stubApi({ 'system.setupTrainer': () => new Promise((resolve) => (finish = resolve)) });
    render(
      <ApiProvider client={api.client}>
        <TrainerSetup ready={false} />
      </ApiProvider>,
    );
    fireEvent.click(screen.getByRole('button', { name: 'Set up the trainer' }));
    await waitFor(() => expect(api.listeners('system.setupProgress')).toBe(1));
    act(() => api.emit('system.setupProgress', { line: '[tunedesk] step 2/2: installing the tunedesk trainer package', stream: 'stdout', done: false }));
    expect(screen.getByText('Step 2 of 2: installing the tunedesk trainer package')).toBeTruthy();
    expect(screen.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('50');
    act(() => finish({ ok: false, exitCode: 1, message: 'The installer stopped with exit code 1; its log above says why.' }));
    expect(await screen.findByText(/exit code 1/)).toBeTruthy();
  });
});
