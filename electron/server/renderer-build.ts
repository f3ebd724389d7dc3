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

/**
 * Builds the renderer when stale. A failed build with an earlier build still in dist/renderer
 * goes on with that one (and says so); with no build at all, the error is thrown.
 */
export async function ensureRenderer(appRoot: string, log: (line: string) => void): Promise<void> {
  if (!rendererIsStale(appRoot)) return;
  log('Building the interface (dist/renderer)...');
  try {
    await buildRenderer(appRoot);
  } catch (error) {
    if (!existsSync(join(appRoot, 'dist', 'renderer', 'index.html'))) throw error;
    log(`The interface did not build (${(error as Error).message.split('\n')[0]}); using the previous build in dist/renderer.`);
  }
}
