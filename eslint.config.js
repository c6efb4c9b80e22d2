// Lint rules, including the architecture's import boundaries (GUIDE.md, "where code may run"):
// only src/main/electron (and the preload, which must reach contextBridge) may import 'electron';
// the renderer and src/shared, which run in the browser, import neither src/main nor Node.
import { builtinModules } from 'node:module';
import pluginVue from 'eslint-plugin-vue';
import tseslint from 'typescript-eslint';

const electronOnly = {
  paths: [{ name: 'electron', message: "Only src/main/electron/** (and the preload) may import 'electron'." }],
  patterns: [{ regex: '^electron/', message: "Only src/main/electron/** (and the preload) may import 'electron'." }],
};

const browserOnly = {
  paths: [
    ...electronOnly.paths,
    ...builtinModules.map((name) => ({ name, message: 'Browser code cannot use Node builtins; ask the service through the API.' })),
  ],
  patterns: [
    ...electronOnly.patterns,
    { regex: '^node:', message: 'Browser code cannot use Node builtins; ask the service through the API.' },
    { regex: '(^|/)main/', message: 'Browser code talks to src/main only through the API (src/shared/api.ts).' },
  ],
};

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'coverage/**', 'node_modules/**', 'test-results/**', '.tmp/**'] },
  ...tseslint.configs.recommended,
  ...pluginVue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.vue'], sourceType: 'module' } },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      // Long attribute lists read better on one line in a dense table template.
      'vue/max-attributes-per-line': 'off',
      'vue/singleline-html-element-content-newline': 'off',
      'vue/html-self-closing': ['error', { html: { void: 'any', normal: 'always', component: 'always' } }],
      'no-restricted-imports': ['error', electronOnly],
    },
  },
  {
    // The format readers follow Netron's dense style, where `x = a, i++` sequences are deliberate;
    // TypeScript still reports a comma operand that has no effect (TS2695).
    files: ['src/main/caffe/**'],
    rules: { '@typescript-eslint/no-unused-expressions': 'off' },
  },
  {
    files: ['src/main/electron/**', 'src/preload/**'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    files: ['src/renderer/**', 'src/shared/**'],
    rules: { 'no-restricted-imports': ['error', browserOnly] },
  },
);
