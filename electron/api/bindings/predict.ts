// Bindings of contract/predict.ts: one generation per job, its text streamed on 'predict.tokens'.
import { ApiError } from '../api-error';
import type { HandlerMap } from '../handler-types';
import { CheckpointTargetError, resolveCheckpoint } from '../../services/export/export-service';
import { jobsFor } from '../jobs';
import { runPredict } from '../../services/predict/predict-service';
import { resolveRunDir } from '../../services/paths/run-paths';

type PredictCall = 'predict.start' | 'predict.cancel';

export const predictHandlers: HandlerMap<PredictCall> = {
  'predict.start': async (request, ctx) => {
    if (Boolean(request.runId) === Boolean(request.model)) {
      throw new ApiError('invalid_request', 'give either runId or model, not both and not neither', undefined, 'runId');
    }
    let model = request.model ?? '';
    if (request.runId) {
      try {
        // The run's real folder: one that links out of the runs root is refused (403).
        const runDir = await resolveRunDir(ctx.runsRoot, request.runId);
        if (!runDir) throw new ApiError('not_found', `no run "${request.runId}" in ${ctx.runsRoot}`, 'Pick a run from the runs list.', 'runId');
        model = (await resolveCheckpoint(runDir, ctx.runsRoot)).checkpointDir;
      } catch (error) {
        if (error instanceof CheckpointTargetError) throw new ApiError('not_found', error.message, 'Wait for the first checkpoint to be saved.', 'runId');
        throw error;
      }
    }
    const jobs = jobsFor(ctx, 'predict.jobs');
    const { jobId, signal } = jobs.start();
    let count = 0;
    void runPredict(
      {
        model,
        prompt: request.prompt,
        maxNewTokens: request.maxNewTokens,
        greedy: request.greedy,
        ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
        ...(request.topP !== undefined ? { topP: request.topP } : {}),
        ...(request.history?.length ? { history: request.history } : {}),
      },
      {
        signal,
        onToken(text, index) {
          count = index + 1;
          ctx.events.publish('predict.tokens', { jobId, index, text, done: false });
        },
      },
    )
      .then((outcome) => ctx.events.publish('predict.tokens', { jobId, index: count, text: '', done: true, outcome }))
      .finally(() => jobs.finish(jobId));
    return { jobId, model };
  },
  'predict.cancel': (request, ctx) => ({ cancelled: jobsFor(ctx, 'predict.jobs').cancel(request.jobId) }),
};
