// `npm run web` builds the renderer only when its sources are newer than dist/renderer.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Newest modification time under `dir` (skipping node_modules and dot folders). */
export function newestMtime(dir: string): number {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  const stack = [dir];
  while (stack.length) {
    const current = stack.pop()!;
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
      const path = join(current, entry.name);
      if (entry.isDirectory()) stack.push(path);
      else newest = Math.max(newest, statSync(path).mtimeMs);
    }
  }
  return newest;
}

/** True when dist/renderer is missing or older than anything the renderer is built from. */
export function rendererIsStale(appRoot: string): boolean {
  const index = join(appRoot, 'dist', 'renderer', 'index.html');
  if (!existsSync(index)) return true;
  const built = statSync(index).mtimeMs;
  const sources = [join(appRoot, 'renderer'), join(appRoot, 'electron', 'shared')];
  return sources.some((dir) => newestMtime(dir) > built);
}

/** Builds the renderer with vite (dev dependency: browser mode runs from a source checkout). */
export async function buildRenderer(appRoot: string): Promise<void> {
  const { build } = await import('vite');
  await build({ configFile: join(appRoot, 'renderer', 'vite.config.ts'), logLevel: 'warn' });
}
