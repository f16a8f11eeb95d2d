import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp } from '../../../test/support/app.js';
import { createPostgresTestDatabase, type TestDatabase } from '../../../test/support/database.js';
import { asPrincipal, testPrincipal, trustTestPrincipalHeader } from '../../../test/support/principal.js';
import { TEST_REDIS_URL } from '../../../test/support/services.js';
import { type TcpProxy, startTcpProxy } from '../../../test/support/tcp-proxy.js';
import { smsReceivedWebhookBody } from '../../../test/support/textverified.js';
import { createRedis } from '../../platform/redis.js';
import { createTextVerifiedClient, signWebhookBody } from '../../providers/textverified/index.js';
import { startTextVerifiedSandbox, type TextVerifiedSandbox } from '../../sandbox/textverified/index.js';
import type { VerificationView } from './views.js';
import * as store from './store.js';
import { checkLedgerInvariants, createLedgerService } from '../ledger/index.js';
import { fundWallet } from '../../../test/support/wallet.js';

const ledger = createLedgerService();

/**
 * Redis is optional (SPEC §9): when it stops or freezes, money paths (purchase, cancel, SMS intake)
 * still complete, rate limits count in memory, and readiness says "degraded", not "unavailable".
 */
const SECRET = 'whsec_redis_outage_test';
/** Far above what a request needs; only a request stuck behind Redis reaches it. */
const HUNG_MS = 8_000;

let testDb: TestDatabase;
let sandbox: TextVerifiedSandbox;
let proxy: TcpProxy;
let redis: Redis;
let app: FastifyInstance;

beforeAll(async () => {
  testDb = await createPostgresTestDatabase(10);
  sandbox = await startTextVerifiedSandbox({
    apiKey: 'k',
    username: 'u@x.test',
    webhookSecret: SECRET,
    smsDelayMs: 3_600_000,
    maxUnfinished: 1_000,
  });
  sandbox.control.setStock('whatsapp', 1_000);
  const target = new URL(TEST_REDIS_URL);
  proxy = await startTcpProxy(target.hostname, Number(target.port || 6379));
  redis = await createRedis(`redis://127.0.0.1:${proxy.port}`);
  await redis.connect();
  app = await createTestApp({
    database: testDb.database,
    redis,
    providers: {
      textVerified: createTextVerifiedClient({ baseUrl: sandbox.url, apiKey: 'k', username: 'u@x.test' }),
    },
    env: { TEXTVERIFIED_WEBHOOK_SECRET: SECRET },
  });
  trustTestPrincipalHeader(app);
  await app.ready();
}, 60_000);

afterAll(async () => {
  await app?.close();
  redis?.disconnect();
  await proxy?.close();
  await sandbox?.close();
  await testDb?.dispose();
});

afterEach(async () => {
  // Back to a working Redis for the next case.
  await proxy.cut();
  await proxy.restore();
});

/** The request's answer, or a failure naming what hung (a request waiting on Redis never answers). */
async function answered<T>(what: string, request: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      request,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} hung waiting on Redis`)), HUNG_MS);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

async function fundedUser(cents: number) {
  const principal = testPrincipal({ tier: 'payg' });
  await fundWallet(testDb.database.db, principal.userId, cents);
  return principal;
}

async function moneyPathsWork() {
  const user = await fundedUser(1_000);
  const buy = () =>
    answered(
      'purchase',
      app.inject({
        method: 'POST',
        url: '/api/v1/verifications',
        headers: asPrincipal(user),
        payload: { service: 'whatsapp', country: 'US' },
      }),
    );
  const first = await buy();
  expect(first.statusCode, first.body).toBe(201);
  // The purchase limit still counts (in memory) while Redis is away.
  expect(first.headers['ratelimit-remaining']).toBeDefined();
  const kept = first.json<VerificationView>();
  expect(kept.status).toBe('active');
  const second = await buy();
  expect(second.statusCode, second.body).toBe(201);
  const dropped = second.json<VerificationView>();

  const cancel = await answered(
    'cancel',
    app.inject({
      method: 'POST',
      url: `/api/v1/verifications/${dropped.id}/cancel`,
      headers: asPrincipal(user),
    }),
  );
  expect(cancel.statusCode, cancel.body).toBe(200);
  expect(cancel.json<VerificationView>().status).toBe('canceled');

  const providerId = (await store.findById(testDb.database.db, kept.id))!.providerId!;
  const sms = sandbox.control.deliverSms(providerId, { code: '314159', text: 'Your code is 314159' });
  const body = smsReceivedWebhookBody(sms);
  const intake = await answered(
    'SMS intake',
    app.inject({
      method: 'POST',
      url: '/api/v1/hooks/textverified',
      headers: { 'content-type': 'application/json', 'x-webhook-signature': signWebhookBody(body, SECRET) },
      payload: body,
    }),
  );
  expect(intake.statusCode, intake.body).toBe(200);

  const orders = await Promise.all([kept.id, dropped.id].map((id) => store.findById(testDb.database.db, id)));
  expect(orders.map((o) => [o!.status, o!.code])).toEqual([
    ['completed', '314159'],
    ['canceled', null],
  ]);
  const price = kept.price.amount;
  expect(await ledger.walletSummary(testDb.database.db, user.userId)).toEqual({
    balance: 1_000 - price,
    held: 0,
  });
  const report = await checkLedgerInvariants(testDb.database.db);
  expect(report.violations).toEqual([]);

  const ready = await answered('readiness', app.inject({ url: '/readyz' }));
  expect(ready.statusCode).toBe(200);
  expect(ready.json()).toMatchObject({ status: 'degraded', checks: { database: 'ok', redis: 'down' } });
}

describe('Redis going away', () => {
  it('works with Redis up, and readiness says ready', async () => {
    const ready = await app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({ status: 'ready', checks: { redis: 'ok' } });
  });

  it('stopped Redis: purchase, cancel and SMS intake complete; ledger clean; readiness degraded', async () => {
    await proxy.cut();
    await moneyPathsWork();
  }, 60_000);

  it('frozen Redis (answers nothing): purchase, cancel and SMS intake complete; readiness degraded', async () => {
    proxy.freeze();
    await moneyPathsWork();
  }, 60_000);
});
