/**
 * `npm run test:cluster`: Bosun on a production-shaped Temporal cluster (infra/cluster). Not part
 * of `npm test`: the first run builds the Temporal server from the Go module proxy (6–10 min on
 * 2 cores); later runs reuse the cached binary. One file at a time: each starts its own cluster.
 */
const base = require('./jest.config.js');

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: base.testEnvironment,
  transform: base.transform,
  testMatch: ['<rootDir>/test/cluster/**/*.cluster-test.ts'],
  testPathIgnorePatterns: base.testPathIgnorePatterns,
  modulePathIgnorePatterns: base.modulePathIgnorePatterns,
  // Builds (or finds) the pinned server once, before any test file starts its cluster.
  globalSetup: '<rootDir>/test/cluster/global-setup.ts',
  reporters: base.reporters,
  testTimeout: 180_000,
  maxWorkers: 1,
};
