/**
 * Purchase throughput and latency through the real HTTP route, the real TextVerified client and
 * the sandbox, on PostgreSQL: BENCH_BUYERS concurrent buyers (default 50, one wallet each) make
 * BENCH_PURCHASES purchases in all; then the ledger is checked.
 */
import { randomUUID } from 'node:crypto';
import { createTextVerifiedClient } from '../src/providers/textverified/index.js';
import { startTextVerifiedSandbox } from '../src/sandbox/textverified/index.js';
import { benchApp, benchDatabase, fmt, percentile } from './support.js';
import { checkLedgerInvariants, createLedgerService } from '../src/modules/ledger/index.js';
import { fundWallet } from '../test/support/wallet.js';

const ledger = createLedgerService();

const BUYERS = Number(process.env.BENCH_BUYERS ?? 50);
const PURCHASES = Number(process.env.BENCH_PURCHASES ?? 2000);
const PRICE = 143; // whatsapp for payg: 0.95 × 1.5 → 1.43

const { database, dispose } = await benchDatabase(20);
const sandbox = await startTextVerifiedSandbox({
  apiKey: 'bench',
  username: 'bench@namaskah.local',
  webhookSecret: 'whsec_bench',
  smsDelayMs: 3_600_000,
  maxUnfinished: 1_000_000,
  balanceCents: 1_000_000_000,
});
sandbox.control.setStock('whatsapp', 1_000_000);
const client = createTextVerifiedClient({
  baseUrl: sandbox.url,
  apiKey: 'bench',
  username: 'bench@namaskah.local',
});
const app = await benchApp(database, {
  providers: { textVerified: client },
  env: { RATE_LIMIT_GLOBAL_PER_MINUTE: '0' },
});
// The bench is about purchases, not sign-in: a header names the buyer (never outside benches and tests).
app.addHook('onRequest', async (request) => {
  const userId = request.headers['x-bench-user'];
  if (typeof userId === 'string') {
    request.principal = {
      userId,
      email: `${userId.slice(0, 8)}@bench.local`,
      tier: 'payg',
      role: 'user',
      emailConfirmed: true,
      mfaEnabled: false,
      via: 'access_token',
    };
  }
});
await app.ready();

try {
  await app.services.tiers.update('payg', { maxActiveOrders: 1_000_000, purchaseRatePerMinute: 1_000_000 });
  const buyers = Array.from({ length: BUYERS }, () => randomUUID());
  const perBuyer = Math.ceil(PURCHASES / BUYERS);
  for (const owner of buyers) {
    await fundWallet(database.db, owner, perBuyer * PRICE);
  }
  // Warm the catalogue cache and the provider token.
  await app.inject({ url: '/api/v1/catalog/quote?service=whatsapp&country=US' });

  console.log(
    `Purchase benchmark on PostgreSQL: ${PURCHASES} purchases, ${BUYERS} concurrent buyers, sandbox provider over HTTP`,
  );
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  const started = performance.now();
  await Promise.all(
    buyers.map(async (owner) => {
      for (let i = 0; i < perBuyer; i++) {
        const t0 = performance.now();
        const response = await app.inject({
          method: 'POST',
          url: '/api/v1/verifications',
          headers: { 'x-bench-user': owner },
          payload: { service: 'whatsapp', country: 'US' },
        });
        latencies.push(performance.now() - t0);
        statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const total = perBuyer * BUYERS;
  console.log(
    `${total} purchases in ${fmt(seconds, 2)} s → ${fmt(total / seconds, 0)} purchases/s; ` +
      `latency p50 ${fmt(percentile(latencies, 50))} ms, p95 ${fmt(percentile(latencies, 95))} ms, p99 ${fmt(percentile(latencies, 99))} ms`,
  );
  console.log(`statuses: ${JSON.stringify(Object.fromEntries(statuses))}`);
  const report = await checkLedgerInvariants(database.db);
  let held = 0;
  for (const owner of buyers) held += (await ledger.walletSummary(database.db, owner)).held;
  const created = statuses.get(201) ?? 0;
  const heldOk = held === created * PRICE;
  console.log(
    `ledger: ${report.ok ? 'invariants hold' : `VIOLATIONS ${JSON.stringify(report.violations.slice(0, 5))}`}; ` +
      `held ${held} cents for ${created} active orders (${heldOk ? 'matches' : 'MISMATCH'})`,
  );
  if (!report.ok || !heldOk || created !== total) process.exitCode = 1;
} finally {
  await app.close();
  await sandbox.close();
  await dispose();
}
