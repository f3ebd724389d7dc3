// Quitting while a training runs asks what to do: keep it running in the background (the trainer
// is its own process group and writes its own run directory, so the next launch re-attaches to
// it) or stop it cooperatively (it saves a checkpoint first). Never orphaned or killed silently.
import { app, dialog, type BrowserWindow } from 'electron';
import type { ApiContext, RunningTraining } from '../api/context';

export type QuitChoice = 'keep' | 'stop' | 'cancel';

/** The dialog's buttons, in order; the pure part, unit-testable without Electron. */
export function quitQuestion(running: RunningTraining[]): { message: string; detail: string; buttons: string[]; choices: QuitChoice[] } {
  const names = running.map((r) => `• ${r.label}`).join('\n');
  const one = running.length === 1;
  return {
    message: one ? 'A training is still running.' : `${running.length} trainings are still running.`,
    detail:
      `${names}\n\nKeep running: the trainer continues in the background and TuneDesk shows it again the ` +
      'next time you open it.\nStop: the trainer saves a checkpoint and stops; you can resume it later.',
    buttons: [one ? 'Keep it running in the background' : 'Keep them running in the background', one ? 'Stop it and quit' : 'Stop them and quit', 'Cancel'],
    choices: ['keep', 'stop', 'cancel'],
  };
}

/**
 * Guards both ways out: closing the window and quitting the app (menu, Cmd+Q). The close is held
 * while the question is open, so "Cancel" leaves the window exactly as it was.
 */
export function installQuitGuard(ctx: ApiContext, window: () => BrowserWindow | null): { watch(win: BrowserWindow): void } {
  let decided = false;
  let asking = false;
  const intercept = (event: { preventDefault(): void }) => {
    if (decided) return;
    event.preventDefault();
    if (asking) return;
    asking = true;
    void decide()
      .then((quit) => {
        if (!quit) return;
        decided = true;
        app.quit();
      })
      .finally(() => (asking = false));
  };
  app.on('before-quit', intercept);

  async function decide(): Promise<boolean> {
    const running = await ctx.trainings.running().catch(() => []);
    if (running.length > 0) {
      const question = quitQuestion(running);
      const options = { type: 'question' as const, ...question, defaultId: 0, cancelId: 2, noLink: true };
      const parent = window();
      const { response } = parent ? await dialog.showMessageBox(parent, options) : await dialog.showMessageBox(options);
      const choice = question.choices[response] ?? 'cancel';
      if (choice === 'cancel') return false;
      if (choice === 'stop') await Promise.all(running.map((r) => ctx.trainings.stop(r.runId)));
    }
    await ctx.shutdown();
    return true;
  }

  return { watch: (win) => win.on('close', intercept) };
}
