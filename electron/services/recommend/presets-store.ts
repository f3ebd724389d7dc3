// Loads and validates resources/presets/*.json. A broken preset file is reported by name with
// the zod path and message, so whoever edits the JSON sees exactly what to fix.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { presetSchema, type Preset } from '../../shared/presets';
import { REPO_ROOT } from '../python-env/trainer-python';

export const PRESETS_DIR = join(REPO_ROOT, 'resources', 'presets');

export class PresetError extends Error {}

export async function loadPresets(dir = PRESETS_DIR): Promise<Preset[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.json')).sort();
  const presets: Preset[] = [];
  const problems: string[] = [];
  for (const file of files) {
    const path = join(dir, file);
    let raw: unknown;
    try {
      raw = JSON.parse(await readFile(path, 'utf8'));
    } catch (error) {
      problems.push(`${path}: not valid JSON (${(error as Error).message})`);
      continue;
    }
    const parsed = presetSchema.safeParse(raw);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) problems.push(`${path}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
      continue;
    }
    if (`${parsed.data.id}.json` !== file) {
      problems.push(`${path}: id "${parsed.data.id}" must match the file name (${file})`);
      continue;
    }
    presets.push(parsed.data);
  }
  if (problems.length) throw new PresetError(`invalid preset file(s):\n  ${problems.join('\n  ')}`);
  return presets;
}
