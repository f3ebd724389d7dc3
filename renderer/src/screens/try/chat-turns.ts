// The Try chat as data: each turn is a question and the answer being generated for it (by the tuned
// model, and optionally by the base model for comparison). Pure helpers, unit-tested.
import type { CallRequest } from '../../api';

export interface ChatAnswer {
  jobId: string | null;
  text: string;
  done: boolean;
  status: 'generating' | 'completed' | 'failed' | 'cancelled';
  error?: { message: string; hint?: string };
  /** New tokens so far (streamed pieces until the end, then the trainer's count). */
  tokens: number;
  startedAt: number;
  seconds: number | null;
}

export interface ChatTurn {
  question: string;
  tuned: ChatAnswer;
  base: ChatAnswer | null;
}

export interface SamplingSettings {
  /** 0 means greedy (always the most likely token). */
  temperature: number;
  topP: number;
  maxNewTokens: number;
}

export const DEFAULT_SAMPLING: SamplingSettings = { temperature: 0, topP: 0.9, maxNewTokens: 64 };

/** What is wrong with the sampling settings, by field, in words (empty when they can be sent). */
export function samplingProblems(s: SamplingSettings): Partial<Record<keyof SamplingSettings, string>> {
  const problems: Partial<Record<keyof SamplingSettings, string>> = {};
  if (!Number.isFinite(s.temperature) || s.temperature < 0 || s.temperature > 5) problems.temperature = 'Temperature is a number from 0 (greedy) to 5.';
  if (!Number.isFinite(s.topP) || s.topP <= 0 || s.topP > 1) problems.topP = 'Top-p is a number above 0 and at most 1.';
  if (!Number.isInteger(s.maxNewTokens) || s.maxNewTokens < 1 || s.maxNewTokens > 4096) problems.maxNewTokens = 'Max new tokens is a whole number from 1 to 4096.';
  return problems;
}

/** The request fields for predict.start from the sampling settings: temperature 0 is greedy. */
export function samplingRequest(s: SamplingSettings): Pick<CallRequest<'predict.start'>, 'greedy' | 'maxNewTokens' | 'temperature' | 'topP'> {
  return s.temperature === 0 ? { greedy: true, maxNewTokens: s.maxNewTokens } : { greedy: false, maxNewTokens: s.maxNewTokens, temperature: s.temperature, topP: s.topP };
}

/** The earlier turns that a new question continues: the completed exchanges, as the tuned model answered them. */
export function chatHistory(turns: readonly ChatTurn[], which: 'tuned' | 'base' = 'tuned'): NonNullable<CallRequest<'predict.start'>['history']> {
  return turns.flatMap((t) => {
    const answer = which === 'tuned' ? t.tuned : t.base;
    return answer && answer.status === 'completed' ? [{ role: 'user' as const, content: t.question }, { role: 'assistant' as const, content: answer.text }] : [];
  });
}

export function newAnswer(now: number): ChatAnswer {
  return { jobId: null, text: '', done: false, status: 'generating', tokens: 0, startedAt: now, seconds: null };
}

interface TokenEvent {
  index: number;
  text: string;
  done: boolean;
  outcome?: { status: string; text?: string; partial?: string; tokens?: number; seconds?: number; error?: { message: string; hint?: string } };
}

/** An answer folded from its job's streamed events (in any order), at time `now` (seconds). */
export function answerFromEvents(answer: ChatAnswer, events: readonly TokenEvent[], now: number): ChatAnswer {
  const ordered = [...events].sort((a, b) => a.index - b.index);
  const end = ordered.find((e) => e.done);
  const pieces = ordered.filter((e) => !e.done);
  if (!end?.outcome) {
    return { ...answer, text: pieces.map((e) => e.text).join(''), tokens: pieces.length, seconds: now - answer.startedAt };
  }
  const o = end.outcome;
  const status = o.status === 'completed' ? 'completed' : o.status === 'cancelled' ? 'cancelled' : 'failed';
  return {
    ...answer,
    done: true,
    status,
    text: o.text ?? o.partial ?? pieces.map((e) => e.text).join(''),
    tokens: o.tokens ?? pieces.length,
    seconds: o.seconds ?? now - answer.startedAt,
    ...(o.error ? { error: o.error } : {}),
  };
}

/** "12 tokens · 8.3 tokens/s" (null before the first token). */
export function speedText(a: ChatAnswer): string | null {
  if (a.tokens === 0 || a.seconds === null || a.seconds <= 0) return null;
  return `${a.tokens} token${a.tokens === 1 ? '' : 's'} · ${(a.tokens / a.seconds).toFixed(1)} tokens/s`;
}
