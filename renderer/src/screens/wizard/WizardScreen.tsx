// The newcomer wizard: one step per screen (model, data, method, review), each with a sentence of
// help. "Back" and "Next" are always in the same place; Next says why it is disabled.
import { useWizardStore, WIZARD_STEPS, stepBlocker, type WizardStep } from './wizard-store';
import { DemoButton } from './DemoButton';
import { DataStep } from './DataStep';
import { MethodStep } from './MethodStep';
import { ModelStep } from './ModelStep';
import { ReviewStep } from './ReviewStep';

const TITLES: Record<WizardStep, string> = { model: 'Model', data: 'Data', method: 'Method', review: 'Review' };

export function WizardScreen() {
  const step = useWizardStore((s) => s.step);
  const setStep = useWizardStore((s) => s.setStep);
  const blocker = useWizardStore((s) => stepBlocker(s.step, s));
  const index = WIZARD_STEPS.indexOf(step);
  return (
    <div className="stack">
      <header className="screen-header">
        <h1>New training</h1>
        <ol className="steps" aria-label="Steps">
          {WIZARD_STEPS.map((s, i) => (
            <li key={s} aria-current={s === step ? 'step' : undefined}>
              {i + 1}. {TITLES[s]}
            </li>
          ))}
        </ol>
      </header>
      {step === 'model' && (
        <div className="card alert ok row" style={{ justifyContent: 'space-between' }}>
          <span>First time? Run the demo: a tiny model, a small dataset, about a minute on the CPU.</span>
          <DemoButton />
        </div>
      )}
      <section aria-label={TITLES[step]}>
        <h2>{TITLES[step]}</h2>
        {step === 'model' && <ModelStep />}
        {step === 'data' && <DataStep />}
        {step === 'method' && <MethodStep />}
        {step === 'review' && <ReviewStep />}
      </section>
      <div className="row">
        <button type="button" onClick={() => setStep(WIZARD_STEPS[index - 1]!)} disabled={index === 0}>
          Back
        </button>
        {index < WIZARD_STEPS.length - 1 && (
          <button type="button" className="primary" onClick={() => setStep(WIZARD_STEPS[index + 1]!)} disabled={blocker !== null}>
            Next
          </button>
        )}
        {blocker && index < WIZARD_STEPS.length - 1 && <span className="help">{blocker}</span>}
      </div>
    </div>
  );
}
