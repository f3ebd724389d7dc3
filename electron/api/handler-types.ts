// The type of a binding from one contract call to the services.
import type { z } from 'zod';
import type { CallName, CallResponse, Calls } from '../shared/contract';
import type { ApiContext } from './context';

/** The request after validation (defaults applied, paths already checked and canonical). */
export type ParsedRequest<K extends CallName> = z.output<Calls[K]['request']>;

export type Handler<K extends CallName> = (request: ParsedRequest<K>, ctx: ApiContext) => Promise<CallResponse<K>> | CallResponse<K>;

/** Bindings for a set of calls: one feature's handlers file exports one of these. */
export type HandlerMap<K extends CallName> = { [P in K]: Handler<P> };
