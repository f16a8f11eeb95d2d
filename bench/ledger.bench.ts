import { randomUUID } from 'node:crypto';
import type { Db } from '../src/platform/db/database.js';
import { benchDatabase, fmt, percentile } from './support.js';
import { checkLedgerInvariants, createLedgerService } from '../src/modules/ledger/index.js';
import { fundWallet } from '../test/support/wallet.js';

const ledger = createLedgerService();

/**
 * Holds per second on PostgreSQL: every hold is its own transaction (conditional wallet update,
 * transaction row, entries, hold row), fired from CONCURRENCY parallel callers.
 */
const HOLDS = Number(process.env.BENCH_HOLDS ?? 5000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 50);

async function fund(db: Db, owners: string[], cents: number) {
  for (const owner of owners) {
    await fundWallet(db, owner, cents);
  }
}

async function run(db: Db, label: string, owners: string[]) {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < HOLDS) {
        const i = next++;
        const owner = owners[i % owners.length]!;
        const t0 = performance.now();
        await db.transaction((tx) =>
          ledger.hold(tx, { ownerId: owner, amount: 1, reference: `bench:${label}:${i}`, memo: 'bench' }),
        );
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  console.log(
    `${label.padEnd(16)} ${HOLDS} holds in ${fmt(seconds, 2)} s → ${fmt(HOLDS / seconds, 0)} holds/s; ` +
      `latency p50 ${fmt(percentile(latencies, 50))} ms, p95 ${fmt(percentile(latencies, 95))} ms, p99 ${fmt(percentile(latencies, 99))} ms`,
  );
}

const { database, dispose } = await benchDatabase(20);
try {
  console.log(
    `Ledger benchmark on PostgreSQL: ${HOLDS} holds per run, ${CONCURRENCY} concurrent callers, pool 20`,
  );
  const hot = [randomUUID()];
  const spread = Array.from({ length: 100 }, () => randomUUID());
  await fund(database.db, hot, HOLDS);
  await fund(database.db, spread, HOLDS);
  await run(database.db, 'one hot wallet', hot);
  await run(database.db, '100 wallets', spread);
  const report = await checkLedgerInvariants(database.db);
  console.log(
    `Invariants: ${report.ok ? 'all hold' : 'VIOLATED'} (${report.counts.transactions} transactions, ${report.counts.entries} entries, ${report.counts.pendingHolds} pending holds)`,
  );
  const summary = await ledger.walletSummary(database.db, hot[0]!);
  if (summary.balance !== 0 || summary.held !== HOLDS)
    throw new Error(`hot wallet drifted: ${JSON.stringify(summary)}`);
  if (!report.ok) {
    console.log(report.violations);
    process.exitCode = 1;
  }
} finally {
  await dispose();
}
