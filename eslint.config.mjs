// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const otherServices = ['gateway', 'customers', 'scoring', 'sales', 'tickets', 'campaigns'];

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/.data/**', 'infra/kafka/.cache/**', 'jest.config.js', 'eslint.config.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
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
    rules: { '@typescript-eslint/no-unsafe-member-access': 'off', '@typescript-eslint/no-unsafe-assignment': 'off', '@typescript-eslint/no-unsafe-argument': 'off' },
  },
);
