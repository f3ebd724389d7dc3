// Lint for the TypeScript side. Python is linted by ruff (see python-runtime/pyproject.toml).
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';

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
      'no-restricted-imports': ['error', { paths: [{ name: 'electron', message: 'services never import electron' }] }],
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
          patterns: [{ group: ['node:*', '**/electron/services/**'], message: 'the renderer has no Node access' }],
        },
      ],
    },
  },
);
