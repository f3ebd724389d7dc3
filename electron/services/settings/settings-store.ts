// The user's settings file (<data dir>/settings.json). Small and validated: a hand-edited file
// with a typo is reported with its path and what is wrong, never silently reset.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { defaultDataDir, resolveRunsRoot, type RunsRootSource } from './runs-root';

export const settingsSchema = z.strictObject({
  /** Where new runs are written and where runs are listed from; absent = the default. */
  runsRoot: z.string().min(1).optional(),
  /** The Hugging Face Hub endpoint (a mirror); absent = https://huggingface.co. HF_ENDPOINT wins. */
  hubEndpoint: z.url({ protocol: /^https?$/ }).optional(),
});
export type Settings = z.infer<typeof settingsSchema>;

export class SettingsError extends Error {}

export class SettingsStore {
  readonly file: string;

  constructor(dataDir: string = defaultDataDir()) {
    this.file = join(dataDir, 'settings.json');
  }

  async read(): Promise<Settings> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw error;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      throw new SettingsError(`${this.file}: not valid JSON. Fix the file or delete it to return to the defaults.`);
    }
    const parsed = settingsSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new SettingsError(`${this.file}: ${issue?.path.join('.') || 'settings'}: ${issue?.message}. Fix the file or delete it to return to the defaults.`);
    }
    return parsed.data;
  }

  /** Merges `patch` into the stored settings; written atomically (temp file + rename). */
  async update(patch: Partial<Settings>): Promise<Settings> {
    return this.replace({ ...(await this.read()), ...patch });
  }

  /** Writes exactly `settings` (a key left out is removed); atomically. */
  async replace(settings: Settings): Promise<Settings> {
    const next = settingsSchema.parse(settings);
    await mkdir(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(next, null, 2) + '\n');
    await rename(tmp, this.file);
    return next;
  }

  /** The effective runs root and why it is that one. */
  async runsRoot(flag?: string): Promise<{ path: string; source: RunsRootSource }> {
    // An explicit override does not need the settings file (and must work when it is broken).
    if (flag || process.env.TUNEDESK_RUNS_DIR) return resolveRunsRoot({ flag });
    return resolveRunsRoot({ settingsValue: (await this.read()).runsRoot });
  }
}
