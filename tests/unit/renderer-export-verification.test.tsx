// @vitest-environment happy-dom
// The export's verification card says in words what was compared, how far apart, against what
// allowance, and the training effect; a failed verification says why.
import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { VerificationCard } from '../../renderer/src/screens/export/VerificationCard';

afterEach(cleanup);

const record = {
  passed: true,
  max_abs_logit_diff: 0.0123,
  tolerance: 0.02,
  max_abs_diff_vs_base: 1.2,
  training_effect: 1.23,
  samples: 4,
  samples_source: 'train_path',
  sample_texts: ['Translate to English: 鱼'],
  dtype: 'fp16',
  reason: '',
};

describe('VerificationCard', () => {
  it('says what was compared, the difference against the allowance and the training effect', () => {
    render(<VerificationCard outcome={{ status: 'completed', out: '/runs/r/exports/m', verification: record, messages: [] }} />);
    const text = screen.getByTestId('verification-words').textContent!;
    expect(text).toContain('Verified: the exported model computes what the trained model computed.');
    expect(text).toContain('next-token scores (logits) at every position of 4 prompts from your training data, from the exported model (fp16) and from the model as it was at the end of training');
    expect(text).toContain("They differ by at most 0.0123; up to 0.02 is allowed for fp16's rounding.");
    expect(text).toContain('training moved these scores by up to 1.23 away from the base model — 100× the export’s difference; the export is 1.2 away from the base');
    expect(screen.getByText('Translate to English: 鱼')).toBeTruthy();
    expect(screen.getByTestId('verification').getAttribute('data-passed')).toBe('true');
  });

  it('a failed verification says why, with the same comparison', () => {
    const failed = { ...record, passed: false, max_abs_logit_diff: 1.1, reason: 'the export is closer to the base model than to the trained model' };
    render(
      <VerificationCard
        outcome={{ status: 'failed', out: '/o', verification: failed, error: { kind: 'verification', message: 'Export verification failed', hint: 'export in fp32' }, messages: [] }}
      />,
    );
    const text = screen.getByTestId('verification-words').textContent!;
    expect(text).toMatch(/^Not verified/);
    expect(text).toContain('Why: the export is closer to the base model than to the trained model.');
    expect(screen.getByTestId('verification').getAttribute('data-passed')).toBe('false');
  });
});
