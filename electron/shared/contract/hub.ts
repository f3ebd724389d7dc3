// Getting a model from the Hugging Face Hub: a curated list for newcomers (with what fits this
// machine), downloads run by `python -m tunedesk pull` one at a time with progress, the folders
// already downloaded (or half-downloaded, to resume), the endpoint setting and the access token
// for gated models (kept by the OS's secret storage in the desktop app, never on disk in plain text).
import { z } from 'zod';
import { call, topic } from './define';

/** A Hub repo id: [organisation/]name, letters, digits, '.', '_', '-'; never '--' or '..'. */
export const repoIdSchema = z
  .string()
  .max(200)
  .regex(/^(?:[A-Za-z0-9][\w.-]{0,95}\/)?[A-Za-z0-9][\w.-]{0,95}$/, 'a repo id is <organisation>/<name>, e.g. Qwen/Qwen2.5-0.5B-Instruct')
  .refine((s) => !s.includes('--') && !s.includes('..'), 'a repo id has no "--" or ".."');
/** A branch, tag or commit. */
export const revisionSchema = z.string().regex(/^[\w.][\w./-]{0,99}$/, 'a revision is a branch, tag or commit').refine((s) => !s.includes('..'), 'no ".." in a revision');

const methodFitSchema = z.object({
  method: z.enum(['full', 'lora', 'freeze', 'ptuning']),
  /** The best verdict among this method's plans on this machine. */
  verdict: z.enum(['fits', 'tight', 'does-not-fit', 'unavailable']),
});

export const catalogEntrySchema = z.object({
  repoId: z.string(),
  label: z.string(),
  params: z.number().int().positive(),
  /** Download size (bf16 safetensors), approximately. */
  sizeBytes: z.number().int().positive(),
  /** The Hub asks for a token from an account that accepted the licence. */
  gated: z.boolean(),
  note: z.string(),
  fits: z.array(methodFitSchema),
});
export type CatalogEntry = z.infer<typeof catalogEntrySchema>;

/** A folder under <data dir>/models: complete (manifest) or partial (resumable). */
export const downloadedModelSchema = z.object({
  repoId: z.string(),
  revision: z.string(),
  commit: z.string(),
  dir: z.string(),
  complete: z.boolean(),
  /** Bytes on disk and in all (partial folders). */
  bytesDone: z.number().nonnegative(),
  bytesTotal: z.number().nonnegative(),
});
export type DownloadedModel = z.infer<typeof downloadedModelSchema>;

/** Why a pull failed: kind (auth, not_found, network, disk_full, config, interrupted, trainer...), message, what to do. */
export const pullErrorSchema = z.object({ kind: z.string(), message: z.string(), hint: z.string() });

export const pullOutcomeSchema = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('completed'),
    modelDir: z.string(),
    commit: z.string(),
    weights: z.string(),
    alreadyComplete: z.boolean(),
    files: z.array(z.string()),
    bytes: z.number(),
    /** What to run next (convert-weights for pickle-only repos), empty when nothing. */
    next: z.string(),
  }),
  z.object({ status: z.literal('failed'), error: pullErrorSchema }),
  z.object({ status: z.literal('cancelled') }),
]);
export type PullOutcome = z.infer<typeof pullOutcomeSchema>;

export const pullProgressSchema = z.object({
  jobId: z.string(),
  repoId: z.string(),
  phase: z.enum(['starting', 'downloading', 'done']),
  file: z.string().optional(),
  bytesDone: z.number().nonnegative(),
  bytesTotal: z.number().nonnegative(),
  speedBps: z.number().nonnegative(),
  /** Seconds left at the current speed; null while unknown. */
  etaSeconds: z.number().nonnegative().nullable(),
  commit: z.string().optional(),
  outcome: pullOutcomeSchema.optional(),
});
export type PullProgress = z.infer<typeof pullProgressSchema>;

const tokenStatusSchema = z.object({
  stored: z.boolean(),
  /** Where it is kept: 'os' (Electron safeStorage, encrypted), 'memory' (browser mode: until the server stops). */
  storage: z.enum(['os', 'memory']),
  note: z.string(),
});

const endpointSchema = z.object({
  endpoint: z.string(),
  /** env: HF_ENDPOINT is set and wins; settings: the user's choice; default: huggingface.co. */
  source: z.enum(['env', 'settings', 'default']),
});

export const hubCalls = {
  /** Curated small instruct models with size and which methods fit this machine. */
  'hub.catalog': call(
    'A short list of small instruct models for newcomers (Qwen2.5, Llama 3.2, ChatGLM3, GLM-4) with parameter count, ' +
      'download size, whether the Hub asks for a token, and which tuning methods fit this machine (the estimator, from known architectures).',
    z.strictObject({ maxLen: z.number().int().min(8).max(1_048_576).default(1024) }),
    z.object({ entries: z.array(catalogEntrySchema), modelsDir: z.string() }),
  ),
  /** Start downloading a repo; progress and outcome arrive on 'hub.progress'. One at a time. */
  'hub.pull': call(
    "Download a model from the Hub into <data dir>/models/<org>--<name> (safetensors and config/tokenizer files; resumes a partial download). Returns a job id; progress and the outcome arrive on 'hub.progress'. Refused while another download runs.",
    z.strictObject({ repoId: repoIdSchema, revision: revisionSchema.default('main'), allowPickle: z.boolean().default(false) }),
    z.object({ jobId: z.string() }),
  ),
  /** Stop the running download; what was downloaded is kept for a resume. */
  'hub.cancel': call('Stop a running download (what was downloaded is kept; pulling again resumes).', z.strictObject({ jobId: z.string().max(100) }), z.object({ cancelled: z.boolean() })),
  /** The download running now (after a reload) and the folders under <data dir>/models. */
  'hub.downloads': call(
    'The download running now, if any, and the models under <data dir>/models: complete ones and partial ones that can resume.',
    z.strictObject({}),
    z.object({ running: pullProgressSchema.nullable(), models: z.array(downloadedModelSchema), modelsDir: z.string() }),
  ),
  /** Whether an access token is stored, and where. */
  'hub.tokenStatus': call('Whether a Hub access token is stored and where (never the token itself).', z.strictObject({}), tokenStatusSchema),
  /** Store the access token (desktop: OS secret storage; browser mode: memory only). null forgets it. */
  'hub.setToken': call(
    'Store a Hub access token for gated models (null forgets it). The desktop app encrypts it with the OS secret storage; browser mode keeps it in memory only, until the server stops.',
    z.strictObject({ token: z.string().regex(/^[\x21-\x7e]{8,400}$/, 'a token is one word of printable characters').nullable() }),
    tokenStatusSchema,
  ),
  /** The Hub endpoint in effect (a mirror for users behind firewalls). */
  'hub.endpoint': call('The Hub endpoint in effect and why (HF_ENDPOINT, the setting, or huggingface.co).', z.strictObject({}), endpointSchema),
  /** Store the endpoint setting (null: back to huggingface.co). HF_ENDPOINT still wins. */
  'hub.setEndpoint': call(
    'Choose the Hub endpoint (a mirror; null: https://huggingface.co). Stored in settings.json; HF_ENDPOINT, when set, still wins.',
    z.strictObject({ endpoint: z.url({ protocol: /^https?$/ }).max(300).nullable() }),
    endpointSchema,
  ),
};

export const hubTopics = {
  /** Progress of the running download; the last event has phase 'done' and the outcome. */
  'hub.progress': topic("Progress of a Hub download (bytes, speed, time left); the last event has phase 'done' and the outcome.", pullProgressSchema),
};
