// Checkpoints of a run: complete ones (manifest.json written last) can be resumed and exported;
// incomplete ones are listed as such. Served by electron/services/checkpoints.
import { z } from 'zod';
import { call } from './define';
import { checkpointInfoSchema } from './runs';

const runId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/).max(200);

export const checkpointsCalls = {
  /** Every checkpoint of a run with step, loss at that step, size on disk and completeness. */
  'checkpoints.list': call(
    'List the checkpoints of a run: step, loss at that step, size on disk, complete or not (and why not).',
    z.strictObject({ runId }),
    z.object({ checkpoints: z.array(checkpointInfoSchema) }),
  ),
  /** Delete one checkpoint (to the system trash where there is one). */
  'checkpoints.delete': call(
    'Delete one checkpoint folder of a run: to the system trash where there is one; permanently only with permanent: true.',
    // The folder name (step-NNNNNN) is checked by the service, which says what a valid one looks like.
    z.strictObject({ runId, name: z.string().min(1).max(100), permanent: z.boolean().default(false) }),
    z.object({ how: z.enum(['trash', 'deleted']), path: z.string() }),
  ),
};
