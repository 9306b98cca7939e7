import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['.scratch/**', '**/*.mts', '.dependency-cruiser.cjs', '**/node_modules/**', '**/dist/**', '**/.data/**', '**/testdata/**', 'apps/web/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', Buffer: 'readonly' } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[object.name='process'][property.name='env']",
          message: 'Only src/config reads process.env; take settings instead.',
        },
      ],
      'no-console': 'error',
    },
  },
  {
    // The composition root, scripts, tests and benchmarks may read the environment and print.
    files: ['apps/server/src/config/**', 'apps/server/src/main/**', 'apps/server/bin/**', 'scripts/**', 'bench/**', 'e2e/**', '**/*.test.ts', 'apps/server/test/**', 'deploy/**'],
    rules: { 'no-restricted-syntax': 'off', 'no-console': 'off' },
  },
);
