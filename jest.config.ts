import type { Config } from 'jest';

const { swcOptions, tsconfig } = require('./tools/swc-options.cjs');

const moduleNameMapper = Object.fromEntries(
  Object.entries(tsconfig.compilerOptions.paths as Record<string, string[]>).map(([alias, [target]]) => [`^${alias}$`, `<rootDir>/${target}`]),
);

// The generated Prisma client (TypeScript) imports its siblings with ESM-style `.js` suffixes.
moduleNameMapper['^(\\.{1,2}/.*)\\.js$'] = '$1';

const shared = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['@swc/jest', swcOptions({ withPaths: false })] },
  moduleNameMapper,
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/tools'],
  modulePathIgnorePatterns: ['<rootDir>/dist/'],
};

const stopsChildren = { setupFilesAfterEnv: ['<rootDir>/libs/testing/src/jest-stop-children.ts'] };

// Three tiers by file suffix (STYLE.md): pure unit, integration against real services, end to end.
const config: Config = {
  // testTimeout is a global option: jest ignores it inside `projects`, so the int and e2e bounds
  // below were never applied (tests without their own timeout got 5 s). The largest applies to all.
  testTimeout: 120_000,
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testMatch: ['**/*.spec.ts'],
      testPathIgnorePatterns: ['\\.int\\.spec\\.ts$', '\\.e2e\\.spec\\.ts$', '/node_modules/'],
    },
    // Both tiers start processes: none outlives its test file, even when the file failed.
    { ...shared, ...stopsChildren, displayName: 'int', testMatch: ['**/*.int.spec.ts'], slowTestThreshold: 30, testTimeout: 60_000 },
    { ...shared, ...stopsChildren, displayName: 'e2e', testMatch: ['**/*.e2e.spec.ts'], slowTestThreshold: 60, testTimeout: 120_000 },
  ],
};

export default config;
