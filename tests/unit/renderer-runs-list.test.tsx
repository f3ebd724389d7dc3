// @vitest-environment happy-dom
// The runs list: deleting a whole run (a confirm dialog that names the run, runs.delete only
// after the confirm, a live run cannot be deleted, no trash → a permanent delete named as such,
// and a refusal from the host (409) shown with its message); a run started elsewhere appears live.
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiProvider } from '../../renderer/src/api-context';
import { RunsScreen } from '../../renderer/src/screens/runs/RunsScreen';
import { StubCallError, stubApi, type StubHandlers } from '../helpers/renderer-stub-api';

afterEach(cleanup);

const listing = (runId: string, status: string) => ({
  runId,
  runDir: `/runs/${runId}`,
  status,
  method: 'lora',
  model: '/m/demo',
  bestLoss: 1.5,
  lastLoss: 1.6,
  step: 4,
  totalSteps: 4,
  startedAt: 1,
  finishedAt: 2,
  durationSeconds: 1,
  parent: null,
  checkpoints: [],
  problems: [],
});

function setup(extra: StubHandlers = {}) {
  let runs = [listing('run-done', 'completed'), listing('run-live', 'running')];
  const api = stubApi({
    'runs.list': () => ({ runs }),
    'runs.delete': (request) => {
      const { runId } = request as { runId: string };
      runs = runs.filter((r) => r.runId !== runId);
      return { how: 'trash', path: `/runs/${runId}` };
    },
    ...extra,
  });
  render(
    <ApiProvider client={api.client}>
      <RunsScreen compare={[]} />
    </ApiProvider>,
  );
  return api;
}

describe('Delete a run from the runs list', () => {
  it('asks in a dialog naming the run, deletes only after the confirm, and the list refreshes', async () => {
    const api = setup();
    fireEvent.click(await screen.findByRole('button', { name: 'Delete run run-done' }));
    const dialog = screen.getByRole('dialog');
    expect(dialog.textContent).toContain('Delete run run-done?');
    expect(dialog.textContent).toMatch(/trash/);
    expect(api.calls.some((c) => c.name === 'runs.delete')).toBe(false);
    fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(api.calls.some((c) => c.name === 'runs.delete')).toBe(false);

    fireEvent.click(screen.getByRole('button', { name: 'Delete run run-done' }));
    fireEvent.click(screen.getByRole('button', { name: 'Move run-done to the trash' }));
    await waitFor(() => expect(screen.queryByText('run-done')).toBeNull());
    expect(api.calls.find((c) => c.name === 'runs.delete')!.request).toEqual({ runId: 'run-done', permanent: false });
  });

  it('a live run cannot be deleted (stop it first)', async () => {
    setup();
    const button = await screen.findByRole('button', { name: 'Delete run run-live' });
    expect((button as HTMLButtonElement).disabled).toBe(true);
    expect(button.getAttribute('title')).toMatch(/stop it first/);
  });

  it('without a system trash: says so and offers a permanent delete, named as such', async () => {
    const api = setup({
      'runs.delete': (request) => {
        if (!(request as { permanent: boolean }).permanent) throw new StubCallError({ code: 'no_trash', message: 'this system has no trash' });
        return { how: 'deleted', path: '/runs/run-done' };
      },
    });
    fireEvent.click(await screen.findByRole('button', { name: 'Delete run run-done' }));
    fireEvent.click(screen.getByRole('button', { name: 'Move run-done to the trash' }));
    const permanent = await screen.findByRole('button', { name: 'Delete run-done permanently' });
    expect(screen.getByRole('dialog').textContent).toMatch(/no trash/);
    fireEvent.click(permanent);
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(api.calls.filter((c) => c.name === 'runs.delete').map((c) => c.request)).toEqual([
      { runId: 'run-done', permanent: false },
      { runId: 'run-done', permanent: true },
    ]);
  });

  it("shows the host's refusal (409: started meanwhile) with its message", async () => {
    setup({
      'runs.delete': () => {
        throw new StubCallError({ code: 'conflict', message: 'run run-done is still running; stop it first', hint: 'Stop the run first, then try again.' });
      },
    });
    fireEvent.click(await screen.findByRole('button', { name: 'Delete run run-done' }));
    fireEvent.click(screen.getByRole('button', { name: 'Move run-done to the trash' }));
    expect(await screen.findByText(/still running; stop it first/)).toBeTruthy();
    expect(screen.getByRole('dialog')).toBeTruthy();
  });

  it('a run started elsewhere (runs.update for an unknown run) shows in the list without a refresh', async () => {
    let runs = [listing('run-done', 'completed')];
    const api = stubApi({ 'runs.list': () => ({ runs }) });
    render(
      <ApiProvider client={api.client}>
        <RunsScreen compare={[]} />
      </ApiProvider>,
    );
    await screen.findByText('run-done');
    runs = [...runs, listing('from-cli', 'running')];
    api.emit('runs.update', { runId: 'from-cli', summary: { runId: 'from-cli', status: 'running' }, events: [] });
    expect(await screen.findByText('from-cli')).toBeTruthy();
  });
});
