// Builds the renderer (root renderer/) into dist/renderer. Relative asset URLs ('./') so the same
// build works from the desktop app's app://tunedesk/ origin and from browser mode's http origin.
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Runs in Node (vite), but the renderer folder's lint forbids node: imports, so no `path` here.
const root = import.meta.dirname;

export default defineConfig({
  root,
  base: './',
  plugins: [react()],
  build: {
    outDir: `${root}/../dist/renderer`,
    emptyOutDir: true,
    target: 'chrome120',
    // Our CSP forbids eval and inline scripts; keep the module preload polyfill out (it is inline).
    modulePreload: { polyfill: false },
    sourcemap: false,
    chunkSizeWarningLimit: 1500,
  },
});
