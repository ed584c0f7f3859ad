// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const namedExportsOnly = { selector: 'ExportDefaultDeclaration', message: 'Named exports only.' };
/** Kysely's ways into a query: outside repositories, a call to one of these is SQL in the wrong place. */
const queryBuilderEntries = ['selectFrom', 'insertInto', 'updateTable', 'deleteFrom', 'mergeInto', 'replaceInto', 'selectNoFrom', 'executeQuery'];
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
      'no-restricted-syntax': ['error', namedExportsOnly],
    },
  },
  // A service may import @crm/domain and @crm/platform, never another service; and only its repositories
  // and migrations write SQL (kysely's builders, `sql`, pg): routes and services call repositories.
  ...otherServices.flatMap((service) => {
    const foreign = otherServices.filter((s) => s !== service).map((s) => ({ group: [`@crm/${s}`, `@crm/${s}/*`], message: 'Services talk through events or the gateway, never by import.' }));
    const sqlHomes = [`services/${service}/src/**/*.repository.ts`, `services/${service}/src/**/migrations/**/*.ts`, `services/${service}/src/**/*.migration.ts`];
    const restricted = (patterns) => ({ '@typescript-eslint/no-restricted-imports': ['error', { patterns }] });
    return [
      { files: [`services/${service}/**/*.ts`], rules: restricted(foreign) },
      {
        files: [`services/${service}/src/**/*.ts`],
        ignores: sqlHomes,
        rules: {
          ...restricted([...foreign, { group: ['kysely', 'kysely/*', 'pg'], allowTypeImports: true, message: 'SQL lives in *.repository.ts (and migrations): call a repository function.' }]),
          'no-restricted-syntax': ['error', namedExportsOnly, {
            selector: `CallExpression[callee.property.name=/^(${queryBuilderEntries.join('|')})$/]`,
            message: 'Queries live in *.repository.ts: call a repository function.',
          }],
        },
      },
    ];
  }),
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
