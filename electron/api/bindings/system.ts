// Bindings for contract/system.ts: picking paths (which is what makes them usable by the other
// calls), listing the allowed folders, external links and the trainer environment set-up.
import { PathRefusedError } from '../../services/paths/path-guard';
import { rememberPick, validatePick } from '../../services/paths/picked-paths';
import { ApiError } from '../api-error';
import type { HandlerMap } from '../handler-types';
import { setupTrainer } from '../trainer-setup';

type SystemCall = 'system.pickPath' | 'system.allowedRoots' | 'system.openExternal' | 'system.setupTrainer';

export const systemHandlers: HandlerMap<SystemCall> = {
  'system.pickPath': async (request, ctx) => {
    let chosen: string | null;
    if (ctx.native) {
      const options: { kind: 'file' | 'directory'; title?: string; defaultPath?: string } = { kind: request.kind };
      if (request.title) options.title = request.title;
      if (request.typedPath) options.defaultPath = request.typedPath;
      chosen = await ctx.native.pickPath(options);
      if (chosen === null) return { path: null };
    } else {
      if (!request.typedPath) {
        throw new ApiError(
          'invalid_request',
          'In browser mode there is no file dialog: typedPath must hold the absolute path to use.',
          'Type the full path of the file or folder on the machine running TuneDesk.',
          'typedPath',
        );
      }
      chosen = request.typedPath;
    }
    try {
      const real = await validatePick(chosen, request.kind);
      rememberPick(ctx.paths, ctx.dataDir, { path: real, kind: request.kind, purpose: request.purpose });
      return { path: real };
    } catch (error) {
      if (error instanceof PathRefusedError) throw new ApiError(error.code, error.message, error.hint, 'typedPath');
      throw error;
    }
  },
  'system.allowedRoots': (_request, ctx) => ({ roots: ctx.paths.roots() }),
  'system.openExternal': async (request, ctx) => {
    if (!ctx.native) return { opened: false };
    await ctx.native.openExternal(request.url);
    return { opened: true };
  },
  'system.setupTrainer': (_request, ctx) => setupTrainer(ctx),
};
