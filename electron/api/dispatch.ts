// The one entry point both transports call: look the call up in the contract, validate the
// request strictly, check every path field with the path guard, run the handler, and check the
// response against the contract. Never throws: the answer is always an ApiResult envelope.
import { z } from 'zod';
import type { ApiResult } from '../shared/bridge';
import { calls, type CallName } from '../shared/contract';
import { PathRefusedError } from '../services/paths/path-guard';
import { ApiError } from './api-error';
import type { ApiContext } from './context';
import { handlers } from './handlers';
import { collectPathFields } from './path-fields';

export function isCallName(name: string): name is CallName {
  return Object.hasOwn(calls, name);
}

export async function dispatch(ctx: ApiContext, name: string, rawRequest: unknown): Promise<ApiResult> {
  try {
    return { ok: true, value: await run(ctx, name, rawRequest) };
  } catch (error) {
    if (error instanceof ApiError) return { ok: false, error: error.toBody() };
    if (error instanceof PathRefusedError) return { ok: false, error: { code: error.code, message: error.message, hint: error.hint } };
    console.error(`[tunedesk] ${name} failed:`, error);
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, error: { code: 'internal', message: `${name} failed: ${message}` } };
  }
}

async function run(ctx: ApiContext, name: string, rawRequest: unknown): Promise<unknown> {
  if (!isCallName(name)) {
    throw new ApiError('unknown_call', `There is no call named "${name.slice(0, 100)}".`, 'Check the call name against electron/shared/contract.');
  }
  const spec = calls[name];
  const parsed = spec.request.safeParse(rawRequest);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') || undefined;
    throw new ApiError('invalid_request', `Invalid request for ${name}: ${describeIssues(parsed.error)}`, undefined, field);
  }
  const request = parsed.data as Record<string, unknown>;
  for (const path of collectPathFields(spec.request, request)) {
    try {
      path.set(await ctx.paths.check(path.value, path.meta, path.field));
    } catch (error) {
      if (error instanceof PathRefusedError) throw new ApiError(error.code, error.message, error.hint, path.field);
      throw error;
    }
  }
  const handler = handlers[name] as (request: unknown, ctx: ApiContext) => Promise<unknown> | unknown;
  const response = await handler(request, ctx);
  const checked = spec.response.safeParse(response);
  if (!checked.success) {
    throw new ApiError('internal', `${name} produced a response that breaks the contract: ${describeIssues(checked.error)}`);
  }
  return checked.data;
}

/** "kind: Invalid option...; title: Too big..." — every problem, each with its field. */
function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => {
      const where = issue.path.length ? `${issue.path.join('.')}: ` : '';
      return `${where}${issue.message}`;
    })
    .join('; ');
}
