// Calls that touch the user's machine outside TuneDesk's own folders: choosing a file or folder
// (which is what makes it readable to the other calls), opening a web link, and setting up the
// trainer's Python environment.
import { z } from 'zod';
import { call, topic } from './define';

const pickPurpose = z.enum(['model', 'data', 'output', 'other']);

export const systemCalls = {
  /** Let the user choose a file or folder; the choice becomes an allowed folder for later calls. */
  'system.pickPath': call(
    'Choose a file or folder. In the desktop app a native dialog opens (typedPath is its starting ' +
      'point); in browser mode typedPath is the absolute path the user typed, checked to exist. The ' +
      'chosen path is recorded as allowed, so the other calls may read it. path is null when cancelled.',
    z.strictObject({
      kind: z.enum(['file', 'directory']),
      purpose: pickPurpose,
      title: z.string().max(200).optional(),
      typedPath: z.string().min(1).max(4096).optional(),
    }),
    z.object({ path: z.string().nullable() }),
  ),
  /** The folders the other calls may read and write (runs root, data dir, resources, picked ones). */
  'system.allowedRoots': call(
    'The folders that calls taking a path may use: the runs root, the data folder, the bundled ' +
      'resources and every folder or file the user picked.',
    z.strictObject({}),
    z.object({ roots: z.array(z.object({ path: z.string(), why: z.string() })) }),
  ),
  /** Open an https link in the system browser (desktop app); browser mode answers opened: false. */
  'system.openExternal': call(
    'Open an https:// link in the system browser. Only https links are accepted. In browser mode ' +
      'the page opens the link itself and this answers opened: false.',
    z.strictObject({ url: z.url({ protocol: /^https$/, hostname: z.regexes.domain }).max(2048) }),
    z.object({ opened: z.boolean() }),
  ),
  /** Create or repair the trainer's Python environment; progress arrives on 'system.setupProgress'. */
  'system.setupTrainer': call(
    "Create or repair the trainer's Python environment (python-runtime/.venv) with its pinned " +
      "requirements. Resolves when the installer ends; its log streams on 'system.setupProgress'.",
    z.strictObject({}),
    z.object({ ok: z.boolean(), exitCode: z.number().int().nullable(), message: z.string() }),
  ),
};

export const systemTopics = {
  /** Lines of the Python environment installer's output, then one final line with done: true. */
  'system.setupProgress': topic(
    "The trainer environment installer's output, one line per event; the last has done: true.",
    z.object({
      line: z.string(),
      stream: z.enum(['stdout', 'stderr', 'status']),
      done: z.boolean(),
      ok: z.boolean().optional(),
    }),
  ),
};
