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
            // the facade. Operation schemas import it, so workflows take their values from the
            // zod-free modules listed here (types may come from anywhere).
            { group: ['zod', 'zod/*'], message: 'zod belongs at the boundaries (facade, config), not in the workflow bundle.' },
            {
              regex: '(^|/)domain/operations(/index)?$',
              allowTypeImports: true,
              message:
                'domain/operations/index.ts holds the zod schemas: import values from domain/operations/catalog.ts, or import types only.',
            },
            {
              group: [
                '**/domain/operations/*',
                '!**/domain/operations/catalog',
                '!**/domain/operations/instance-plans',
                '!**/domain/operations/scaling-policies',
                '!**/domain/operations/launch-template-versions',
                '!**/domain/operations/asg-process-names',
              ],
              allowTypeImports: true,
              message:
                'Operation schemas pull zod into the workflow bundle: import values from a zod-free module (domain/operations/catalog.ts and friends), or import types only.',
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
