/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': '<rootDir>/test/support/typescript-transformer.js',
    // jose ships ES modules only (Node loads them with require(esm)); jest's module system needs CommonJS.
    '/node_modules/jose/.+\\.js$': '<rootDir>/test/support/typescript-transformer.js',
  },
  transformIgnorePatterns: ['/node_modules/(?!jose/)'],
  testTimeout: 60_000,
  // Integration suites start their own Azurite, broker and host on free ports; two workers match the 2-core machines.
  maxWorkers: 2,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
};
