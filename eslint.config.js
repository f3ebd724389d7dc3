// Lint for the TypeScript side. Python is linted by ruff (see python-runtime/pyproject.toml).
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';

const NO_ELECTRON = { name: 'electron', message: 'services never import electron' };

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'python-runtime/**', 'tests/artifacts/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Services are plain Node: the Electron main process is only one of their three faces.
    files: ['electron/services/**', 'electron/server/**', 'electron/cli/**', 'electron/shared/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: [NO_ELECTRON] }],
    },
  },
  {
    // The layers (README "The layers"): shared < services < api < main/server/cli. A service is
    // called by the API layer and the hosts, never the other way round (tests/unit/layers.test.ts
    // checks every file the same way).
    files: ['electron/services/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [NO_ELECTRON], patterns: [{ regex: '^(\\.\\./)+(api|server|main|cli|preload)(/|$)', message: 'services never import the API layer or a host (electron/api, server, main, cli)' }] },
      ],
    },
  },
  {
    // The contract and the event schema are shared by everything, so they import nothing above them.
    files: ['electron/shared/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [NO_ELECTRON], patterns: [{ regex: '^(\\.\\./)+(services|api|server|main|cli|preload)(/|$)', message: 'shared never imports services, the API layer or a host' }] },
      ],
    },
  },
  {
    // Code shared by tests lives in tests/helpers/: no test imports another test folder or a test file.
    files: ['tests/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['../unit/*', '../integration/*', '../e2e/*', '../bench/*', '**/*.test'], message: 'move shared test code to tests/helpers/' }] },
      ],
    },
  },
  {
    // The renderer talks only to the typed API client, never to Node or Electron directly.
    files: ['renderer/**'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'use the typed API client (renderer/src/api)' }],
          patterns: [
            { group: ['node:*', '**/electron/services/**'], message: 'the renderer has no Node access' },
            { group: ['**/electron/api/**', '**/electron/main/**', '**/electron/server/**', '**/electron/cli/**', '**/electron/preload/**'], message: 'the renderer imports only electron/shared (the contract); it calls the host through renderer/src/api' },
          ],
        },
      ],
    },
  },
);
