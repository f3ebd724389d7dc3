// A checkpoint is complete only when every file its manifest lists is there with the listed size
// (the trainer's rule, python-runtime/tunedesk/checkpoint_publish.py): a manifest alone can outlive
// a half-deleted or damaged folder, and resume or export from such a folder fails.
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';

/** Why the listed files do not match the folder, or null when every one is there with its size. */
export async function listedFilesProblem(checkpointDir: string, files: Record<string, number> | undefined): Promise<string | null> {
  // Manifests without sizes (hand-made or older tools) are judged by the manifest alone.
  for (const [name, size] of Object.entries(files ?? {})) {
    if (name.split(/[\\/]/).includes('..')) return `manifest.json lists ${name}, outside the checkpoint`;
    // lstat: a link is never followed out of the checkpoint; the trainer writes plain files only.
    const info = await lstat(join(checkpointDir, ...name.split('/'))).catch(() => null);
    if (!info) return `${name} is missing`;
    if (!info.isFile()) return `${name} is not a plain file (a link or a folder)`;
    if (info.size !== size) return `${name} has ${info.size} bytes, the manifest lists ${size}`;
  }
  return null;
}
