import { defineConfig } from 'vitest/config';

/** The money paths must be covered more than the rest (issue 13): lines, in per cent. */
const MONEY_MODULES = ['ledger', 'payments', 'verifications', 'idempotency'];

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    reporters: ['default', './test/summary-reporter.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two cores: more workers only thrash PostgreSQL and argon2.
    maxWorkers: 2,
    // Measured by `npm run test:coverage` (`vitest run --coverage`); a single file run (`npx vitest run <file>`)
    // skips it, since thresholds over a partial run would only fail it.
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      exclude: [
        'src/**/*.test.ts',
        'src/**/*.suite.ts',
        // Entry points run as processes of their own (test/start.e2e, test/build.e2e), which
        // in-process coverage cannot see.
        'src/main.ts',
        'src/**/*-cli.ts',
      ],
      reporter: ['text-summary', 'json-summary', 'html'],
      thresholds: {
        lines: 90,
        ...Object.fromEntries(MONEY_MODULES.map((name) => [`src/modules/${name}/**`, { lines: 95 }])),
      },
    },
  },
});
