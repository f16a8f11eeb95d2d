// Lint: typescript-eslint's type-aware rules, the security plugin and the import boundaries.
import tseslint from 'typescript-eslint';
import security from 'eslint-plugin-security';
import architecture from './eslint-rules/architecture.js';

export default tseslint.config(
  {
    ignores: ['node_modules/**', 'data/**', 'drizzle/**', 'dist/**', '.run/**', 'web/dist/**', 'coverage/**'],
  },
  ...tseslint.configs.recommended,
  security.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      // Object-key access by variable is everywhere in typed code; it only flags noise here.
      'security/detect-object-injection': 'off',
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read settings through src/platform/config.ts' },
      ],
    },
  },
  {
    files: [
      'src/platform/config.ts',
      '**/*.test.ts',
      'test/**',
      'bench/**',
      'scripts/**',
      'web/vite.config.ts',
      'vitest.config.ts',
      'drizzle.config.ts',
    ],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    // One mechanism for every import boundary (platform, modules, providers, sandbox, tests):
    // the rule's comments say what each part may import and why.
    files: ['**/*.ts'],
    plugins: { architecture },
    rules: { 'architecture/boundaries': 'error' },
  },
);
