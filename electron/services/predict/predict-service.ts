// "Try it": one prompt through `python -m tunedesk predict`, tokens streamed as they come.
// The model may be an export, a checkpoint or a base model directory; the trainer lays the
// prompt out with the run's own template.
import { classifiedErrorSchema, type ClassifiedError } from '../../shared/events';
import { streamTrainerCommand, type StreamOptions } from '../export/trainer-stream';

export interface PredictRequest {
  /** Export, checkpoint or base model directory (absolute). */
  model: string;
  prompt: string;
  maxNewTokens?: number;
  /** Greedy is deterministic; otherwise temperature/topP sampling with a fixed seed. */
  greedy?: boolean;
  temperature?: number;
  topP?: number;
  /** Prompt template override (glm, glm2, glm3, chat); default: the run's. */
  mode?: string;
  /** Earlier turns of a chat (user, assistant, ...), laid out before the prompt with the run's template. */
  history?: { role: 'user' | 'assistant'; content: string }[];
}

export type PredictOutcome =
  | { status: 'completed'; text: string; tokens?: number; seconds?: number }
  | { status: 'failed'; error: ClassifiedError; partial: string }
  | { status: 'cancelled'; partial: string };

export interface PredictHooks extends Pick<StreamOptions, 'python' | 'env' | 'signal' | 'killGraceMs' | 'onStderr'> {
  /** Each new piece of text, in order (index counts from 0). */
  onToken?: (text: string, index: number) => void;
}

export function predictArgs(request: PredictRequest): string[] {
  const args = ['predict', '--model', request.model, '--prompt', request.prompt];
  if (request.maxNewTokens !== undefined) args.push('--max_new_tokens', String(request.maxNewTokens));
  if (request.greedy ?? true) args.push('--greedy');
  if (request.temperature !== undefined) args.push('--temperature', String(request.temperature));
  if (request.topP !== undefined) args.push('--top_p', String(request.topP));
  if (request.mode) args.push('--mode', request.mode);
  if (request.history?.length) args.push('--history', JSON.stringify(request.history));
  return args;
}

export async function runPredict(request: PredictRequest, hooks: PredictHooks = {}): Promise<PredictOutcome> {
  let partial = '';
  let finished: string | null = null;
  let stats: { tokens?: number; seconds?: number } = {};
  let failure: ClassifiedError | null = null;
  const result = await streamTrainerCommand(predictArgs(request), {
    ...hooks,
    onEvent(event) {
      if (event.type === 'predict_token') {
        partial += event.text;
        hooks.onToken?.(event.text, event.index);
      } else if (event.type === 'predict_finished') {
        finished = event.text;
        const { tokens, seconds } = event as Record<string, unknown>;
        stats = { ...(typeof tokens === 'number' ? { tokens } : {}), ...(typeof seconds === 'number' ? { seconds } : {}) };
      } else if (event.type === 'log' && event.level === 'error') {
        // The trainer attaches the classified error {kind, message, hint} to its error log line.
        const parsed = classifiedErrorSchema.safeParse((event as Record<string, unknown>).error);
        failure = parsed.success ? parsed.data : { kind: 'runtime', message: event.message, hint: '' };
      }
    },
  });
  if (result.cancelled) return { status: 'cancelled', partial };
  if (finished !== null && result.exitCode === 0) return { status: 'completed', text: finished, ...stats };
  if (failure) return { status: 'failed', error: failure, partial };
  const tail = result.stderrTail.slice(-2).join(' / ');
  const message = result.startError ? `the trainer Python could not start: ${result.startError}` : `predict ended (exit ${result.exitCode}) without an answer${tail ? `: ${tail}` : ''}`;
  const hint = 'Check the model path; run `npm run setup:python` if the environment is broken.';
  return { status: 'failed', error: { kind: result.startError ? 'dependency' : 'runtime', message, hint }, partial };
}
