#!/usr/bin/env node
// Bundles the Electron main process and the preload with esbuild:
//   dist/electron/main.cjs     (CommonJS, Node platform, `electron` external)
//   dist/electron/preload.cjs  (CommonJS, self-contained: sandboxed preloads cannot require files)
import { build } from 'esbuild';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
// Services find their neighbours (python-runtime/, graphics-probe.mjs) through import.meta.url,
// which CommonJS does not have. The app runs from its checkout (npm start rebuilds every time), so
// each file's import.meta.url/dirname is replaced by that source file's own location.
const sourceLocation = {
  name: 'source-import-meta',
  setup(b) {
    b.onLoad({ filter: /electron[\\/].*\.(ts|mts)$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      if (!text.includes('import.meta')) return undefined;
      const contents = text
        .replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href))
        .replaceAll('import.meta.dirname', JSON.stringify(dirname(args.path)));
      return { contents, loader: 'ts' };
    });
  },
};

const common = {
  plugins: [sourceLocation],
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
