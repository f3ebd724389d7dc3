// Try's chat on the real trainer: the tiny demo model answers a second question after a first
// exchange, sampling with temperature and top-p, streams its tokens and says how fast it was.
import { describe, expect, it } from 'vitest';
import { runPredict } from '../../electron/services/predict/predict-service';
import { demoModel } from '../helpers/runs-helpers';

const ENV = { OMP_NUM_THREADS: '1', HF_HUB_OFFLINE: '1', TRANSFORMERS_OFFLINE: '1' };

describe('predict as a multi-turn chat', () => {
  it('answers the next turn of a chat with sampling settings, and reports tokens and seconds', async () => {
    const model = await demoModel();
    const pieces: string[] = [];
    const outcome = await runPredict(
      {
        model,
        prompt: 'Translate to English: 猫',
        history: [
          { role: 'user', content: 'Translate to English: 鱼' },
          { role: 'assistant', content: 'fish' },
        ],
        greedy: false,
        temperature: 0.7,
        topP: 0.9,
        maxNewTokens: 6,
      },
      { env: ENV, onToken: (t) => pieces.push(t) },
    );
    expect(outcome.status, JSON.stringify(outcome)).toBe('completed');
    if (outcome.status !== 'completed') return;
    expect(pieces.join('')).toBe(outcome.text);
    expect(outcome.tokens).toBeGreaterThanOrEqual(1);
    expect(outcome.tokens).toBeLessThanOrEqual(6);
    expect(outcome.seconds).toBeGreaterThan(0);
  }, 120_000);

  // A malformed history is refused by the trainer (python-runtime/tests/test_predict_generation.py) and by the contract.
});
