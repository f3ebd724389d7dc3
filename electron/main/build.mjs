#!/usr/bin/env node
// Bundles the Electron main process and the preload with esbuild:
//   dist/electron/main.cjs     (CommonJS, Node platform, `electron` external)
//   dist/electron/preload.cjs  (CommonJS, self-contained: sandboxed preloads cannot require files)
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['electron'],
  sourcemap: 'linked',
  logLevel: 'warning',
  absWorkingDir: root,
};

await Promise.all([
  build({ ...common, entryPoints: ['electron/main/main.ts'], outfile: 'dist/electron/main.cjs' }),
  build({ ...common, entryPoints: ['electron/preload/preload.ts'], outfile: 'dist/electron/preload.cjs' }),
]);
console.log('built dist/electron/main.cjs and dist/electron/preload.cjs');
