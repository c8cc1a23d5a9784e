/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  // .js too: the trace viewer's logic (infra/jaeger/ui/static/trace-model.js) is an ES module the
  // browser loads as it is, and its test imports the same file.
  transform: {
    '^.+\\.[jt]s$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  testMatch: ['<rootDir>/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/.state/', '/.venv/'],
  modulePathIgnorePatterns: ['<rootDir>/.state/', '<rootDir>/.venv/'],
  // One Temporal dev server and one moto for the whole run (see test/global-setup.ts).
  globalSetup: '<rootDir>/test/global-setup.ts',
  globalTeardown: '<rootDir>/test/global-teardown.ts',
  reporters: ['default', '<rootDir>/test/summary-reporter.js'],
  testTimeout: 60_000,
  // Two cores: two test files at a time, next to the Temporal server and moto.
  maxWorkers: 2,
};
