// Two projects by file suffix: *.unit.test.ts (no I/O) and *.int.test.ts (real PostgreSQL + Kafka).
const swc = ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }];
const transform = { '^.+\\.(ts|js|mjs)$': swc };
// ESM-only dependencies are compiled to CommonJS too; everything else in node_modules is left alone.
const esmOnly = '(kysely|uuid|cookie|parse-json|index-to-position|supports-color|change-case)';
const transformIgnorePatterns = [`/node_modules/(?!(\\.pnpm/[^/]+/node_modules/)?${esmOnly}/)(?!\\.pnpm/${esmOnly}@)`];
const common = { transform, transformIgnorePatterns, testEnvironment: 'node', moduleFileExtensions: ['ts', 'js', 'mjs', 'json'] };

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{packages,services}/*/test/**/*.unit.test.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/{packages,services}/*/test/**/*.int.test.ts'],
      globalSetup: '<rootDir>/packages/testkit/src/global-setup.ts',
      globalTeardown: '<rootDir>/packages/testkit/src/global-teardown.ts',
    },
  ],
  // Read only at the top level by jest-circus: integration tests wait on real brokers and databases.
  testTimeout: 60_000,
  maxWorkers: 2,
};
