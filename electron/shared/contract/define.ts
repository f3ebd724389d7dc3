// Building blocks of the one contract between the renderer and the host. Every call and every
// pushed topic is declared once (name, doc, zod schemas); Electron IPC, the browser-mode HTTP/SSE
// server and the renderer's client are all derived from these declarations.
import type { z } from 'zod';

export interface CallSpec<Req extends z.ZodType = z.ZodType, Res extends z.ZodType = z.ZodType> {
  doc: string;
  request: Req;
  response: Res;
}

export interface TopicSpec<E extends z.ZodType = z.ZodType> {
  doc: string;
  event: E;
}

/** Declares a request/response call. `request` must be a strict schema (extra keys rejected). */
export const call = <Req extends z.ZodType, Res extends z.ZodType>(doc: string, request: Req, response: Res) =>
  ({ doc, request, response }) satisfies CallSpec<Req, Res>;

/** Declares a pushed event stream the renderer can subscribe to. */
export const topic = <E extends z.ZodType>(doc: string, event: E) => ({ doc, event }) satisfies TopicSpec<E>;
