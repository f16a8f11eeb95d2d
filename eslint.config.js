// Lint: typescript-eslint's type-aware rules plus the security plugin.
import tseslint from 'typescript-eslint';
import security from 'eslint-plugin-security';

/**
 * src/sandbox/** stands in for the providers, so it must not share code with the clients it is
 * tested against (a shared parser would hide a symmetric bug): it imports only src/sandbox/** and
 * packages. There are no path aliases, so leaving src/sandbox/ means a relative import that climbs
 * above it; how many `../` that takes depends on how deep the importing file sits. A path that
 * goes down and back up (`./x/../../`) cannot be counted that way, so it is refused outright.
 */
const sandboxBoundaryMessage =
  'src/sandbox/ imports only src/sandbox/ and packages: write the wire shape or parser here.';
const sandboxOnlyImportsItself = Array.from({ length: 6 }, (_, depth) => ({
  files: [`src/sandbox/${'*/'.repeat(depth)}*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          { regex: `^(\\./)?(\\.\\./){${depth + 1},}`, message: sandboxBoundaryMessage },
          { regex: '(^|/)[^/.][^/]*/\\.\\.(/|$)', message: sandboxBoundaryMessage },
        ],
      },
    ],
  },
}));

export default tseslint.config(
  { ignores: ['node_modules/**', 'data/**', 'drizzle/**', 'dist/**', 'web/dist/**', 'coverage/**'] },
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
  ...sandboxOnlyImportsItself,
);
