// The layers of the TypeScript side, kept: every import of electron/** and renderer/** may only run
// down (or sideways within a layer), never up:
//   shared < services < api < host (main, server, cli, preload)
//   renderer: only electron/shared (it talks to the host through the typed API client)
// eslint.config.js says the same for services and shared as you type; this test checks every file,
// static, re-exported, dynamic and `import type` alike (TypeScript's own import scanner).
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const REPO = resolve(__dirname, '..', '..');
const LAYERS = ['shared', 'services', 'api', 'host'] as const;
type Layer = (typeof LAYERS)[number] | 'renderer';

/** The layer of a repository-relative path, or null for what has none (packages, tests, resources). */
function layerOf(path: string): Layer | null {
  const parts = path.split(/[\\/]/);
  if (parts[0] === 'renderer') return 'renderer';
  if (parts[0] !== 'electron') return null;
  switch (parts[1]) {
    case 'shared':
      return 'shared';
    case 'services':
      return 'services';
    case 'api':
      return 'api';
    case 'main':
    case 'server':
    case 'cli':
    case 'preload':
      return 'host';
    default:
      return null;
  }
}

/** Whether a file of layer `from` may import one of layer `to`. */
function allowed(from: Layer, to: Layer): boolean {
  if (from === 'renderer') return to === 'renderer' || to === 'shared';
  if (to === 'renderer') return false; // the host serves the renderer's build, never imports it
  return LAYERS.indexOf(to) <= LAYERS.indexOf(from);
}

interface SourceFile {
  /** Repository-relative, with forward slashes. */
  path: string;
  text: string;
}

/** Every import that runs up the layers, as "file -> specifier (from layer -> to layer)". */
function layerViolations(files: SourceFile[]): string[] {
  const found: string[] = [];
  for (const file of files) {
    const from = layerOf(file.path);
    if (!from) continue;
    for (const { fileName: specifier } of ts.preProcessFile(file.text, true, true).importedFiles) {
      if (!specifier.startsWith('.')) continue; // a package or node: builtin; the layers are folders
      const target = relative(REPO, resolve(REPO, dirname(file.path), specifier)).split(sep).join('/');
      const to = layerOf(target);
      if (to && !allowed(from, to)) found.push(`${file.path} -> ${specifier} (${from} -> ${to})`);
    }
  }
  return found;
}

function sources(dir: string): SourceFile[] {
  const out: SourceFile[] = [];
  for (const entry of readdirSync(join(REPO, dir), { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules' && entry.name !== 'dist') out.push(...sources(path));
    } else if (/\.(ts|tsx|mts|cts|mjs|js)$/.test(entry.name)) {
      out.push({ path, text: readFileSync(join(REPO, path), 'utf8') });
    }
  }
  return out;
}

describe('the layers', () => {
  it('no import of electron/** or renderer/** runs up the layers', () => {
    const files = [...sources('electron'), ...sources('renderer')];
    expect(files.length).toBeGreaterThan(100); // the scan found the code
    expect(files.filter((f) => f.path.startsWith('electron/api/')).length).toBeGreaterThan(10);
    expect(layerViolations(files)).toEqual([]);
  });

  it('finds each kind of upward import in a small sample, and passes the downward ones', () => {
    const sample: SourceFile[] = [
      // up: each of these must be found
      { path: 'electron/services/runs/x.ts', text: "import type { ApiContext } from '../../api/context';" },
      { path: 'electron/services/hub/y.ts', text: "export { z } from '../../server/server';\nconst m = () => import('../../main/main');" },
      { path: 'electron/shared/contract/z.ts', text: "import { RunManager } from '../../services/runs/run-manager';" },
      { path: 'electron/api/bindings/w.ts', text: "import { startServer } from '../../server/server';" },
      { path: 'renderer/src/api/v.ts', text: "import { handlers } from '../../../electron/api/handlers';\nimport '../../../electron/services/paths/path-guard';" },
      { path: 'electron/server/u.ts', text: "import { App } from '../../renderer/src/App';" },
      // down or sideways: none of these may be found (nor the commented-out import)
      { path: 'electron/api/bindings/ok.ts', text: "import { x } from '../../services/runs/run-list';\nimport { y } from '../../shared/contract';\nimport { z } from '../context';" },
      { path: 'electron/main/ok.ts', text: "import { a } from '../api/context';\nimport { b } from '../server/main';\n// import { c } from '../../renderer/src/App';" },
      { path: 'renderer/src/ok.ts', text: "import { calls } from '../../electron/shared/contract';\nimport { useState } from 'react';" },
      { path: 'electron/services/runs/ok.ts', text: "import { a } from '../paths/run-paths';\nimport { b } from '../../shared/events';\nimport { c } from 'node:fs';" },
    ];
    expect(layerViolations(sample)).toEqual([
      'electron/services/runs/x.ts -> ../../api/context (services -> api)',
      'electron/services/hub/y.ts -> ../../server/server (services -> host)',
      'electron/services/hub/y.ts -> ../../main/main (services -> host)',
      'electron/shared/contract/z.ts -> ../../services/runs/run-manager (shared -> services)',
      'electron/api/bindings/w.ts -> ../../server/server (api -> host)',
      'renderer/src/api/v.ts -> ../../../electron/api/handlers (renderer -> api)',
      'renderer/src/api/v.ts -> ../../../electron/services/paths/path-guard (renderer -> services)',
      'electron/server/u.ts -> ../../renderer/src/App (host -> renderer)',
    ]);
  });
});
