import { defineConfig } from 'vitest/config';
import { SlowestFirstSequencer } from './test/slowest-first-sequencer.js';

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
    sequence: { sequencer: SlowestFirstSequencer },
    // `npm test` runs `vitest run --coverage`: a threshold missed fails the run (exit 1). A single
    // file run (`npx vitest run <file>`) measures nothing, since thresholds over a partial run
    // would only fail it. Coverage is taken in each test worker (V8's inspector); processes the
    // tests spawn (test/start.e2e, test/build.e2e, the fault tests' instances) are not measured and
    // do not disturb the measure.
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
        // The web app runs in the browser (test/web drives it there); the one file of it a unit
        // test loads (web/src/money.ts) would otherwise slip into the server's figure.
        'web/**',
        // Test code that lives beside the sandbox it drives (only tests import it).
        'src/sandbox/smtp/test-sender.ts',
      ],
      // Short in CI: the four totals, and (test/summary-reporter.ts) the figure of each module;
      // coverage/index.html has the lines, coverage/coverage-summary.json the figures per file.
      reporter: ['text-summary', 'json-summary', 'html'],
      thresholds: {
        lines: 90,
        ...Object.fromEntries(MONEY_MODULES.map((name) => [`src/modules/${name}/**`, { lines: 95 }])),
      },
    },
  },
});
