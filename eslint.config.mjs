// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const otherServices = ['gateway', 'customers', 'scoring', 'sales', 'tickets', 'campaigns'];

export default tseslint.config(
  { ignores: ['**/*.tmp.ts', '**/node_modules/**', '**/.data/**', 'infra/kafka/.cache/**', 'jest.config.js', 'eslint.config.mjs', 'packages/client/src/schema.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      // Fastify hooks and handlers are async by contract even when they do not await.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': ['error', { selector: 'ExportDefaultDeclaration', message: 'Named exports only.' }],
    },
  },
  // A service may import @crm/domain and @crm/platform, never another service.
  ...otherServices.map((service) => ({
    files: [`services/${service}/**/*.ts`],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: otherServices.filter((s) => s !== service).map((s) => ({ group: [`@crm/${s}`, `@crm/${s}/*`], message: 'Services talk through events or the gateway, never by import.' })),
      }],
    },
  })),
  {
    files: ['**/test/**/*.ts', 'bench/**/*.ts'],
    rules: Object.fromEntries(
      ['no-unsafe-member-access', 'no-unsafe-assignment', 'no-unsafe-argument', 'no-unsafe-call', 'no-unsafe-return'].map((rule) => [`@typescript-eslint/${rule}`, 'off']),
    ),
  },
  // Migrations and the outbox work on Kysely<any> by design: they must not depend on app table types.
  { files: ['**/migrations/**/*.ts', '**/*.migration.ts', 'packages/platform/src/**/*.ts'], rules: { '@typescript-eslint/no-explicit-any': 'off' } },
  // Jest loads global setup/teardown through their default export.
  { files: ['packages/testkit/src/global-*.ts'], rules: { 'no-restricted-syntax': 'off' } },
);
