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
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
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
            {
              group: ['../activities', '../activities/*', '../../activities', '../../activities/*'],
              allowTypeImports: true,
              message: 'Import activities as types only.',
            },
            {
              group: ['@temporalio/worker', '@temporalio/client', '@temporalio/activity'],
              message: 'Only @temporalio/workflow and @temporalio/common run inside workflows.',
            },
            // zod is 1.3 MB of the workflow bundle and validates nothing there: inputs were parsed at
            // the facade. The operation registry (domain/operations/index.ts) and every zod schema
            // (domain/operations/schemas/) are therefore types-only here; everything else in
            // domain/operations/ is zod-free and may be imported as values.
            { group: ['zod', 'zod/*'], message: 'zod belongs at the boundaries (facade, config), not in the workflow bundle.' },
            {
              regex: '(^|/)domain/operations(/index|/schemas(/.*)?)?$',
              allowTypeImports: true,
              message:
                'The operation registry and domain/operations/schemas/ pull zod into the workflow bundle: import types only, or values from a zod-free module of domain/operations/.',
            },
          ],
        },
      ],
    },
  },
  {
    // What workflows may import as values from domain/operations/ must stay free of zod, directly
    // or through a schema.
    // (fields.ts is exempt: it describes the schemas' fields, reads their keys, and only the registry imports it.)
    files: ['domain/operations/*.ts'],
    ignores: ['domain/operations/index.ts', 'domain/operations/fields.ts', 'domain/operations/*.test.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['zod', 'zod/*'], message: 'Schemas live in domain/operations/schemas/; this folder stays zod-free for workflows.' },
            {
              regex: '^\\.(/index|/schemas(/.*)?)?$',
              allowTypeImports: true,
              message: 'Import schemas and the registry as types only here.',
            },
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

// Layers point one way: domain ← config ← activities / workflows ← runtime ← worker / client ← infra.
// (Tests and benchmarks may import anything; nothing imports them.) See the README's folder table.
const layers = {
  domain: ['config', 'activities', 'workflows', 'runtime', 'worker', 'client', 'infra'],
  config: ['activities', 'workflows', 'runtime', 'worker', 'client', 'infra'],
  activities: ['workflows', 'runtime', 'worker', 'client', 'infra', 'config'],
  workflows: ['runtime', 'worker', 'client', 'infra', 'config'],
  runtime: ['worker', 'client', 'infra'],
  worker: ['client', 'infra'],
  client: ['worker', 'infra'],
  infra: [],
};
module.exports.push({
  files: ['**/*.ts'],
  ignores: ['**/*.test.ts', 'test/**', 'bench/**'],
  rules: {
    'import/no-restricted-paths': [
      'error',
      {
        zones: [
          ...Object.entries(layers).flatMap(([floor, above]) =>
            above.map((other) => ({
              target: `./${floor}`,
              from: `./${other}`,
              message: `${floor}/ sits below ${other}/: it must not import it (layers point one way).`,
            })),
          ),
          ...Object.keys(layers).map((floor) => ({
            target: `./${floor}`,
            from: ['./test', './bench'],
            message: 'Production code never imports tests or benchmarks.',
          })),
        ],
      },
    ],
    // ESLint's own rule, so it adds to (not replaces) the workflow folder's TypeScript import bans.
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          {
            group: ['@temporalio/*/lib/*'],
            message: "Deep imports of the SDK's internals break on upgrades: use the package's public exports.",
          },
        ],
      },
    ],
  },
});
