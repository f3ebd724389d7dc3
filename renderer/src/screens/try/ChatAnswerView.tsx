// One answer of the Try chat: the text as it streams, a visible "generating" state with the live
// tokens/s, and at the end how many tokens it took and how fast; a failure says why and what to do.
import { ErrorNote } from '../../components/ErrorNote';
import { speedText, type ChatAnswer } from './chat-turns';

export function ChatAnswerView({ title, answer, testId }: { title: string; answer: ChatAnswer; testId: string }) {
  const speed = speedText(answer);
  return (
    <section className="chat-answer" aria-label={title} data-testid={testId} data-done={answer.done ? 'true' : 'false'} data-status={answer.status} aria-busy={!answer.done}>
      <div className="row" style={{ justifyContent: 'space-between' }}>
        <h3 style={{ margin: 0 }}>{title}</h3>
        <span className="help num" data-testid="answer-speed" role="status">
          {!answer.done ? (speed ? `Generating… ${speed}` : 'Generating… (loading the model)') : answer.status === 'cancelled' ? `Stopped${speed ? ` · ${speed}` : ''}` : (speed ?? '')}
        </span>
      </div>
      <pre className="mono" style={{ whiteSpace: 'pre-wrap', margin: 0 }} aria-live="polite">
        {answer.text}
        {answer.done && answer.status === 'completed' && !answer.text.trim() && <span className="help">(an empty answer: the model ended its reply at once)</span>}
        {!answer.done && <span className="help generating-caret">▍</span>}
      </pre>
      {answer.status === 'failed' && answer.error && <ErrorNote error={answer.error} />}
    </section>
  );
}
