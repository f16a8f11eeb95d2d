import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp } from '../../../test/support/app.js';
import { createPostgresTestDatabase, type TestDatabase } from '../../../test/support/database.js';
import { asPrincipal, testPrincipal, trustTestPrincipalHeader } from '../../../test/support/principal.js';
import { startTcpProxy, type TcpProxy } from '../../../test/support/tcp-proxy.js';
import { type Database, openDatabase } from '../../platform/db/database.js';
import { createLogger } from '../../platform/logger.js';
import { createPaystackClient, type PaystackClient } from '../../providers/paystack/index.js';
import { startPaystackSandbox, type PaystackSandbox } from '../../sandbox/paystack/index.js';
import { createAuditService } from '../audit/index.js';
import { emitEvent } from '../webhooks/index.js';
import { createPaymentsService } from './service.js';
import { checkLedgerInvariants, createLedgerService } from '../ledger/index.js';

const ledger = createLedgerService();

/**
 * Paystack delivers a webhook until it gets a 2xx: a 200 is only given once the event is safe, so a
 * database restarting under the webhook gets it redelivered instead of lost. The reconciler, the
 * backstop, verifies open top-ups several at a time.
 */
const SECRET = 'sk_test_webhook_outage_secret';
const PUBLIC_URL = 'http://namaskah.test';

let direct: TestDatabase;
let dbProxy: TcpProxy;
let proxied: Database;
let sandbox: PaystackSandbox;
let client: PaystackClient;
let app: FastifyInstance;

beforeAll(async () => {
  direct = await createPostgresTestDatabase(6);
  const url = new URL(direct.url!);
  dbProxy = await startTcpProxy(url.hostname, Number(url.port || 5432));
  url.port = String(dbProxy.port);
  proxied = await openDatabase(
    { kind: 'pg', url: url.toString(), poolSize: 4 },
    { connectionTimeoutMs: 1_000 },
  );
  sandbox = await startPaystackSandbox({
    secretKey: SECRET,
    webhookRetryDelaysMs: [300, 600, 1_200, 2_400, 4_800],
    webhookTimeoutMs: 10_000,
  });
  client = createPaystackClient({ baseUrl: sandbox.url, secretKey: SECRET, timeoutMs: 2_000 });
  app = await createTestApp({
    database: proxied,
    providers: { paystack: client },
    env: { PAYSTACK_SECRET_KEY: SECRET, PUBLIC_URL, RATE_LIMIT_GLOBAL_PER_MINUTE: '0' },
  });
  trustTestPrincipalHeader(app);
  const appUrl = await app.listen({ port: 0, host: '127.0.0.1' });
  sandbox.control.setWebhookUrl(`${appUrl}/api/v1/hooks/paystack`);
}, 60_000);

afterAll(async () => {
  await app?.close();
  await sandbox?.close();
  await proxied?.close().catch(() => undefined);
  await dbProxy?.close();
  await direct?.dispose();
});

const available = async (userId: string) => (await ledger.walletSummary(direct.database.db, userId)).balance;

describe('Paystack webhook while the database is away', () => {
  it('is answered 5xx, redelivered by Paystack, and credited once the database is back', async () => {
    const user = testPrincipal();
    const created = await app.inject({
      method: 'POST',
      url: '/api/v1/wallet/topups',
      headers: asPrincipal(user),
      payload: { amount: 700 },
    });
    expect(created.statusCode, created.body).toBe(201);
    const { reference } = created.json<{ reference: string }>();

    await dbProxy.cut();
    sandbox.control.pay(reference);
    const delivery = () => sandbox.control.webhooks().find((w) => w.reference === reference);
    const answered = () => delivery()?.attempts.filter((a) => a.status !== null || a.error !== null) ?? [];
    await expect.poll(() => answered().length, { timeout: 10_000 }).toBeGreaterThan(0);
    await dbProxy.restore();

    await expect.poll(() => available(user.userId), { timeout: 20_000 }).toBe(700);
    await sandbox.control.settled();
    const attempts = delivery()!.attempts;
    expect(attempts[0]!.status).toBeGreaterThanOrEqual(500);
    expect(attempts.at(-1)!.status).toBe(200);
    expect(delivery()!.state).toBe('delivered');
    expect((await checkLedgerInvariants(direct.database.db)).violations).toEqual([]);
  }, 40_000);
});

describe('the top-up reconciler', () => {
  it('verifies open top-ups several at a time, never more than its bound', async () => {
    let inFlight = 0;
    let most = 0;
    // Paystack answering in 100 ms: one at a time, 24 top-ups take 2.4 s and a backlog grows.
    const slowPaystack: PaystackClient = {
      ...client,
      async verifyTransaction(reference) {
        inFlight += 1;
        most = Math.max(most, inFlight);
        try {
          await sleep(100);
          return await client.verifyTransaction(reference);
        } finally {
          inFlight -= 1;
        }
      },
    };
    const options = {
      db: direct.database.db,
      ledger,
      audit: createAuditService({ db: direct.database.db }),
      paystackSecretKey: SECRET,
      publicUrl: PUBLIC_URL,
      ngnPerUsd: 1600,
      logger: createLogger('silent'),
      webhooks: { emitEvent },
    };
    const payments = createPaymentsService({ ...options, paystack: client });
    const users = Array.from({ length: 24 }, () => testPrincipal());
    for (const user of users) {
      const topup = await payments.initializeTopup({
        userId: user.userId,
        email: 'pay@example.com',
        amountUsdCents: 300,
        currency: 'USD',
        requestKey: null,
      });
      sandbox.control.pay(topup.reference, { sendWebhook: false });
    }

    const reconciler = createPaymentsService({ ...options, paystack: slowPaystack, staleAfterMs: 0 });
    const counts = await reconciler.reconcileTopups();
    expect(counts.credited).toBeGreaterThanOrEqual(users.length);
    expect(counts.error).toBe(0);
    expect(most).toBeGreaterThan(1);
    expect(most).toBeLessThanOrEqual(8);
    for (const user of users) expect(await available(user.userId)).toBe(300);
    expect((await checkLedgerInvariants(direct.database.db)).violations).toEqual([]);
  }, 40_000);
});
