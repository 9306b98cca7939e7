import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import pluginVue from 'eslint-plugin-vue';

export default tseslint.config(
  { ignores: ['.scratch/**', '**/*.mts', '.dependency-cruiser.cjs', '**/node_modules/**', '**/dist/**', '**/.data/**', '**/testdata/**'] },
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
    files: ['apps/server/src/config/**', 'apps/server/src/main/**', 'apps/server/bin/**', 'scripts/**', 'bench/**', 'e2e/**', 'apps/web/vite.config.ts', '**/*.test.ts', 'apps/server/test/**', 'deploy/**'],
    rules: { 'no-restricted-syntax': 'off', 'no-console': 'off' },
  },
  // The web app (apps/web): Vue single-file components, browser globals.
  ...pluginVue.configs['flat/recommended'].map((c) => ({ ...c, files: ['apps/web/**/*.vue'] })),
  {
    files: ['apps/web/**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.vue'], sourceType: 'module' } },
    rules: { 'vue/max-attributes-per-line': 'off', 'vue/singleline-html-element-content-newline': 'off', 'vue/html-self-closing': 'off', 'vue/multi-word-component-names': 'off', 'vue/html-closing-bracket-newline': 'off', 'vue/multiline-html-element-content-newline': 'off', 'vue/html-indent': 'off' },
  },
  {
    files: ['apps/web/**/*.ts', 'apps/web/**/*.vue'],
    // TypeScript (vue-tsc) already checks names; no-undef does not know DOM types.
    rules: { 'no-undef': 'off' },
    languageOptions: {
      globals: { window: 'readonly', document: 'readonly', localStorage: 'readonly', sessionStorage: 'readonly', fetch: 'readonly', XMLHttpRequest: 'readonly', FormData: 'readonly', URLSearchParams: 'readonly', performance: 'readonly', requestAnimationFrame: 'readonly', cancelAnimationFrame: 'readonly', ResizeObserver: 'readonly', crypto: 'readonly', PointerEvent: 'readonly', MouseEvent: 'readonly', KeyboardEvent: 'readonly', Response: 'readonly', HTMLElement: 'readonly' },
    },
  },
);
