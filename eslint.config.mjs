// @ts-check
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

const contexts = ['tracking', 'artifacts', 'registry', 'webhooks'];

export default tseslint.config(
  { ignores: ['**/node_modules/**', 'dist/**', '**/generated/**', 'apps/web/**', '.cache/**', 'coverage/**', 'bench/results/**'] },
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Boundaries that bite (STYLE.md): no context imports another; lower layers never import upper ones.
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            {
              sourceTag: 'type:app',
              onlyDependOnLibsWithTags: ['type:runtime', 'type:context', 'type:platform', 'type:contracts', 'type:sdk', 'type:testing'],
            },
            { sourceTag: 'type:runtime', onlyDependOnLibsWithTags: ['type:platform', 'type:contracts'] },
            { sourceTag: 'type:context', onlyDependOnLibsWithTags: ['type:platform', 'type:contracts', 'type:testing', 'type:runtime'] },
            { sourceTag: 'type:platform', onlyDependOnLibsWithTags: ['type:platform', 'type:contracts', 'type:testing'] },
            { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: ['type:contracts'] },
            { sourceTag: 'type:sdk', onlyDependOnLibsWithTags: ['type:contracts', 'type:testing'] },
            { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:runtime', 'type:platform', 'type:contracts'] },
            ...contexts.map((context) => ({
              sourceTag: `scope:${context}`,
              onlyDependOnLibsWithTags: [`scope:${context}`, 'scope:shared'],
            })),
          ],
        },
      ],
    },
  },
  {
    // kafkajs is unmaintained since 2023: it stays behind the EventBus port, replaceable in one folder.
    files: ['**/*.ts'],
    ignores: ['libs/eventing/src/kafka/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [{ name: 'kafkajs', message: 'Use the EventBus port from @cairn/eventing; kafkajs stays in libs/eventing/src/kafka.' }] },
      ],
    },
  },
  {
    files: ['**/*.cjs', '**/*.mjs', '**/*.js'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
