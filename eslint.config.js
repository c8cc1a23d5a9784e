// @ts-check
const tseslint = require('typescript-eslint');
const importPlugin = require('eslint-plugin-import');
const { builtinModules } = require('node:module');

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

module.exports = tseslint.config(
  { ignores: ['node_modules/**', '.state/**', '.venv/**', 'dist/**', 'coverage/**', '**/*.js'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: __dirname } },
    plugins: { import: importPlugin },
    settings: { 'import/resolver': { node: { extensions: ['.ts', '.js'] } } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'separate-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      'import/no-cycle': 'error',
      // Activity implementations legitimately have async functions without await (the SDK contract).
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // Workflow code is replayed deterministically in a sandbox: no Node built-ins, no AWS SDK,
    // and activities only as types (proxyActivities builds the calls).
    files: ['workflows/**/*.ts'],
    ignores: ['workflows/**/*.test.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({ name, message: 'Workflow code must be deterministic: no Node built-ins in workflows/.' })),
          patterns: [
            { group: ['@aws-sdk/*'], message: 'Workflows call AWS through activities only.' },
            { group: ['../activities', '../activities/*', '../../activities', '../../activities/*'], allowTypeImports: true, message: 'Import activities as types only.' },
            { group: ['@temporalio/worker', '@temporalio/client', '@temporalio/activity'], message: 'Only @temporalio/workflow and @temporalio/common run inside workflows.' },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.test.ts', 'test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
);
