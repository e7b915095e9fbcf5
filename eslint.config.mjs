// @ts-check
import { readFileSync } from 'node:fs';
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

const contexts = ['tracking', 'artifacts', 'registry', 'webhooks'];

// Cairn's TypeScript is the TypeScript project (tsconfig.json's `include`): tsc, ESLint and Prettier
// (.prettierignore) agree on it. Any other .ts file (a scratch file at the root, a snippet under docs/)
// is not linted: the typed rules could not even parse it (the project service knows nothing of it).
const typedFiles = /** @type {{ include: string[] }} */ (JSON.parse(readFileSync(new URL('./tsconfig.json', import.meta.url), 'utf8'))).include;

// Test support: the shared lib and each lib's `testing/` folder. Specs and test support may import it;
// nothing else may (tests/specs are recognised by suffix, as jest's three tiers are).
const specFiles = ['**/*.spec.ts'];
const testSupportFiles = ['**/testing/**'];

/**
 * What a project of each type may import (Nx tags, two axes: STYLE.md "Boundaries that bite").
 * Apps are thin: a service process wires the runtime and its context(s); the CLI is an HTTP client
 * and reaches the server only through the SDK (the server platform costs it a second of start-up).
 */
const productionTypes = {
  'type:app': ['type:runtime', 'type:context', 'type:gateway'],
  // A read-side gateway (GraphQL) composes contexts' public query services, as an app composes modules.
  'type:gateway': ['type:context', 'type:platform', 'type:contracts'],
  'type:cli': ['type:sdk', 'type:contracts'],
  'type:runtime': ['type:platform', 'type:contracts'],
  'type:context': ['type:platform', 'type:storage', 'type:contracts', 'type:runtime'],
  'type:platform': ['type:platform', 'type:contracts'],
  // blobstore: a storage adapter that depends on nothing of the server (its options are its own).
  'type:storage': ['type:contracts'],
  'type:contracts': ['type:contracts'],
  'type:sdk': ['type:contracts'],
  'type:testing': ['type:runtime', 'type:platform', 'type:contracts'],
  // The web UI is a browser bundle: the MLflow wire types and nothing else (see below: types only).
  'type:web': ['type:contracts'],
};
// Specs may also use the test support, and an app's specs may reach below the runtime (a database to
// inspect) and use the SDK (to check that what the server sends is what the SDK reads).
const specTypes = Object.fromEntries(
  Object.entries(productionTypes).map(([tag, allowed]) => [
    tag,
    [...new Set([...allowed, 'type:testing', ...(tag === 'type:app' ? ['type:platform', 'type:contracts', 'type:sdk'] : [])])],
  ]),
);
const scopes = {
  ...Object.fromEntries(contexts.map((context) => [`scope:${context}`, [`scope:${context}`, 'scope:shared']])),
  // The all-in-one server composes every context; the CLI knows only shared libraries (the SDK).
  'scope:server': [...contexts.map((context) => `scope:${context}`), 'scope:graphql', 'scope:shared'],
  // MLflow's GraphQL endpoint reads runs and experiments (tracking), run artifacts (artifacts) and
  // model versions (registry).
  'scope:graphql': ['scope:tracking', 'scope:artifacts', 'scope:registry', 'scope:shared'],
  // The distributed tracking-service hosts tracking, and MLflow's GraphQL (the browsers' front door).
  'scope:tracking-service': ['scope:tracking', 'scope:graphql', 'scope:shared'],
  'scope:cli': ['scope:shared'],
  // The migration job: runtime and platform only (SQL migrations, Kafka topics), no context.
  'scope:ops': ['scope:shared'],
  'scope:web': ['scope:shared'],
};
const moduleBoundaries = (types) => [
  'error',
  {
    enforceBuildableLibDependency: false,
    allow: [],
    depConstraints: [
      ...Object.entries(types).map(([sourceTag, onlyDependOnLibsWithTags]) => ({ sourceTag, onlyDependOnLibsWithTags })),
      ...Object.entries(scopes).map(([sourceTag, onlyDependOnLibsWithTags]) => ({ sourceTag, onlyDependOnLibsWithTags })),
    ],
  },
];

/*
 * Import restrictions, by kind of file. ESLint keeps only the last matching configuration of a rule,
 * so each block below lists every restriction that applies to its files.
 */
const kafkajs = {
  paths: [{ name: 'kafkajs', message: 'Use the EventBus port from @cairn/eventing; kafkajs stays in libs/eventing/src/kafka.' }],
};
const testSupport = {
  patterns: [
    { group: ['@cairn/testing', '@cairn/testing/*'], message: 'Test support is for specs (*.spec.ts) and other test support only.' },
    { regex: '(^|/)testing(/|$)', message: 'Test support (a testing/ folder) is for specs (*.spec.ts) and other test support only.' },
  ],
};
// Layers inside a context (STYLE.md "Shape"): domain is pure; application never reaches up into api;
// api goes through application services, and the view types it renders live beside them.
const layerRules = {
  domain: {
    patterns: [
      { regex: '^\\.{1,2}/(.+/)?(infra|application|api)(/|$)', message: 'domain/ imports nothing of infra/, application/ or api/.' },
      {
        group: ['@prisma/*', 'pg', '@nestjs/*', '@cairn/platform', '@cairn/eventing', 'kafkajs', 'minio'],
        message: 'domain/ is pure: no database, framework or broker (that belongs in application/ or infra/).',
      },
    ],
  },
  application: {
    patterns: [{ regex: '^\\.{1,2}/(.+/)?api(/|$)', message: 'application/ does not import api/: the controllers call the application, not the reverse.' }],
  },
  api: {
    patterns: [
      {
        regex: '^\\.{1,2}/(.+/)?infra(/|$)',
        message: 'api/ goes through application services (and their view types), not infra/ repositories.',
      },
    ],
  },
};
const restrictImports = (...groups) =>
  groups.length === 0 ? 'off' : ['error', { paths: groups.flatMap((g) => g.paths ?? []), patterns: groups.flatMap((g) => g.patterns ?? []) }];
const kafkaFolder = 'libs/eventing/src/kafka/**';

export default tseslint.config(
  {
    ignores: [
      ...['**/node_modules/**', 'dist/**', '**/generated/**', '.cache/**', 'coverage/**', 'bench/results/**'],
      ...['**/*.ts', ...typedFiles.map((glob) => `!${glob}`)],
    ],
  },
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  {
    files: ['**/*.ts', 'apps/web/src/**/*.tsx'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@nx/enforce-module-boundaries': moduleBoundaries(productionTypes),
    },
  },
  { files: [...specFiles, ...testSupportFiles], rules: { '@nx/enforce-module-boundaries': moduleBoundaries(specTypes) } },
  // Import restrictions, from the general to the particular (the last match wins).
  { files: ['**/*.ts'], ignores: [...specFiles, ...testSupportFiles], rules: { 'no-restricted-imports': restrictImports(kafkajs, testSupport) } },
  { files: [...specFiles, ...testSupportFiles], rules: { 'no-restricted-imports': restrictImports(kafkajs) } },
  { files: [kafkaFolder], ignores: specFiles, rules: { 'no-restricted-imports': restrictImports(testSupport) } },
  { files: [`${kafkaFolder}/*.spec.ts`], rules: { 'no-restricted-imports': restrictImports() } },
  ...Object.entries(layerRules).flatMap(([layer, rules]) => {
    const files = contexts.map((context) => `libs/${context}/src/${layer}/**/*.ts`);
    return [
      { files, ignores: specFiles, rules: { 'no-restricted-imports': restrictImports(kafkajs, testSupport, rules) } },
      { files: files.map((glob) => glob.replace(/\*\.ts$/, '*.spec.ts')), rules: { 'no-restricted-imports': restrictImports(kafkajs, rules) } },
    ];
  }),
  // The browser bundle takes only types from contracts: a value import would bundle zod (and worse).
  {
    files: ['apps/web/src/**/*.ts', 'apps/web/src/**/*.tsx'],
    ignores: specFiles,
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { paths: [{ name: '@cairn/contracts', allowTypeImports: true, message: 'The web UI imports only types from contracts (import type).' }] },
      ],
    },
  },
  {
    files: ['**/*.cjs', '**/*.mjs', '**/*.js'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
