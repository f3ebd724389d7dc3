// @vitest-environment happy-dom
// "Try the demo" is one click: it asks the host to start the embedded demo and opens that run;
// when the host cannot (no trainer environment), it says why and offers the terminal command.
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiProvider } from '../../renderer/src/api-context';
import { parseRoute } from '../../renderer/src/route';
import { DEMO_COMMAND, DemoButton } from '../../renderer/src/screens/wizard/DemoButton';
import { stubApi } from '../helpers/renderer-stub-api';

afterEach(cleanup);

describe('DemoButton', () => {
  it('starts the demo with one click and opens its dashboard', async () => {
    const api = stubApi({ 'runs.startDemo': () => ({ summary: { runId: 'demo-run-1' } }) });
    window.location.hash = '';
    render(
      <ApiProvider client={api.client}>
        <DemoButton />
      </ApiProvider>,
    );
    fireEvent.click(screen.getByRole('button', { name: 'Try the demo' }));
    await waitFor(() => expect(parseRoute(window.location.hash)).toMatchObject({ screen: 'run', runId: 'demo-run-1' }));
    expect(api.calls).toEqual([{ name: 'runs.startDemo', request: {} }]);
  });

  it('explains a failure and offers the terminal command', async () => {
    const api = stubApi({
      'runs.startDemo': () => {
        throw Object.assign(new Error('the trainer environment is missing'), { code: 'trainer_unavailable' });
      },
    });
    render(
      <ApiProvider client={api.client}>
        <DemoButton />
      </ApiProvider>,
    );
    fireEvent.click(screen.getByRole('button', { name: 'Try the demo' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('the trainer environment is missing');
    expect(alert.textContent).toContain(DEMO_COMMAND);
  });
});
