/** Three tiers, told apart by file name (unit `*.spec.ts`, integration `*.test.ts`, end to end `*.e2e.ts`). */
const { pathsToModuleNameMapper } = require('ts-jest');
const { compilerOptions } = require('./tsconfig.json');

const base = {
  testEnvironment: 'node',
  // Type checking is done once by `tsc --noEmit` (npm run typecheck); ts-jest only transpiles.
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.jest.json', diagnostics: false }] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  // The packages import their own files as `./x.js`, as ES modules must; jest resolves them to the sources.
  moduleNameMapper: { ...pathsToModuleNameMapper(compilerOptions.paths, { prefix: '<rootDir>/' }), '^(\\.{1,2}/.*)\\.js$': '$1' },
  rootDir: __dirname,
};

module.exports = {
  // Read from the global config only (a project's own is ignored): integration and e2e tests start real
  // processes on a possibly loaded machine, so a test without its own timeout gets a minute, not 5 s.
  testTimeout: 60_000,
  projects: [
    {
      ...base,
      displayName: 'unit',
      testMatch: ['<rootDir>/{apps,libs,bench,tools,scripts,packages,examples}/**/*.spec.ts'],
      testPathIgnorePatterns: ['/node_modules/', '/dist/'],
    },
    {
      ...base,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      globalSetup: '<rootDir>/test/setup/global-setup.ts',
      globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
    },
    {
      ...base,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.e2e.ts'],
      globalSetup: '<rootDir>/test/setup/global-setup.ts',
      globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
    },
  ],
};
