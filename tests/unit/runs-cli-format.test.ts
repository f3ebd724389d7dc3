import { describe, expect, it } from 'vitest';
import { parseSetting } from '../../electron/cli/commands/resume';
import { exitCodeFor, formatDuration, outcomeLines, progressLine } from '../../electron/cli/commands/run-progress';
import { renderRunList } from '../../electron/cli/commands/runs';
import { emptySummary, markCrashed, type RunSummary } from '../../electron/services/runs/run-summary';

const running: RunSummary = { ...emptySummary('r1', 'running'), step: 30, totalSteps: 120, lastLoss: 1.23456, lastMetrics: { tokens_per_s: 2345.6 }, etaSeconds: 3725 };

describe('terminal output of the run commands', () => {
  it('draws the progress bar with loss, tokens/s and ETA', () => {
    expect(progressLine(running, 8)).toBe('[##......] 30/120  loss 1.2346  2,346 tok/s  ETA 1:02:05');
    expect(progressLine(emptySummary('q'), 4)).toMatch(/queued/);
    expect(formatDuration(65)).toBe('1:05');
    expect(formatDuration(null)).toBe('?');
  });

  it('ends a crashed run with the log tail and how to continue', () => {
    const crashed = markCrashed({ ...running, lastCheckpoint: { step: 20, path: 'checkpoints/step-000020' } }, ['Traceback', 'Killed'], 1);
    const text = outcomeLines(crashed, '/runs/r1').join('\n');
    expect(text).toContain('run r1: crashed at step 30/120');
    expect(text).toContain('/runs/r1/checkpoints/step-000020');
    expect(text).toContain('    Killed');
    expect(text).toContain('npx tunedesk resume r1');
    expect(exitCodeFor(crashed)).toBe(1);
    expect(exitCodeFor({ ...running, status: 'completed' })).toBe(0);
    expect(exitCodeFor({ ...running, status: 'cancelled' })).toBe(3);
  });

  it('parses --set values as JSON where they parse', () => {
    expect(parseSetting('learning_rate=5e-5')).toEqual(['learning_rate', 5e-5]);
    expect(parseSetting('gradient_checkpointing=true')).toEqual(['gradient_checkpointing', true]);
    expect(parseSetting('mode=glm2')).toEqual(['mode', 'glm2']);
    expect(() => parseSetting('=1')).toThrow(/KEY=VALUE/);
  });

  it('lists runs as a table, or says how to start one', () => {
    expect(renderRunList([])).toMatch(/tunedesk demo/);
  });
});
