import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresTestDatabase, type TestDatabase } from '../../../test/support/database.js';
import { type TestApp, createTestApp } from '../../../test/support/app.js';
import { asPrincipal, testPrincipal, trustTestPrincipalHeader } from '../../../test/support/principal.js';
import { startTcpProxy, type TcpProxy } from '../../../test/support/tcp-proxy.js';
import type { Db } from '../../platform/db/database.js';
import { Jobs } from '../../platform/jobs.js';
import { createLogger } from '../../platform/logger.js';
import type { Principal } from '../../platform/http/principal.js';
import {
  createPaystackClient,
  signWebhookBody,
  type PaystackClient,
} from '../../providers/paystack/index.js';
import { startPaystackSandbox, type PaystackSandbox } from '../../sandbox/paystack/index.js';
import { RECONCILE_TOPUPS, definePaymentsJobs } from './jobs.js';
import { createPaymentsService, type PaymentsService, type TopupView } from './service.js';
import * as store from './store.js';
import { checkLedgerInvariants, createLedgerService } from '../ledger/index.js';

const ledger = createLedgerService();

/**
 * Top-ups end to end: the real app, the real Paystack client (through a TCP proxy we can cut)
 * against the Paystack sandbox, and a real PostgreSQL database.
 */

const SECRET = 'sk_test_payments_suite_secret';
const PUBLIC_URL = 'http://namaskah.test';

let testDb: TestDatabase;
let db: Db;
let sandbox: PaystackSandbox;
let proxy: TcpProxy;
let client: PaystackClient;
let app: TestApp;
let appUrl: string;
/** Same database and client as the app's, with a reconciler that looks at every open top-up. */
let reconciler: PaymentsService;
const silent = createLogger('silent');

beforeAll(async () => {
  testDb = await createPostgresTestDatabase(20);
  db = testDb.database.db;
  sandbox = await startPaystackSandbox({
    secretKey: SECRET,
    webhookRetryDelaysMs: [50, 100],
    webhookTimeoutMs: 60_000,
  });
  proxy = await startTcpProxy('127.0.0.1', Number(new URL(sandbox.url).port));
  client = createPaystackClient({
    baseUrl: `http://127.0.0.1:${proxy.port}`,
    secretKey: SECRET,
    timeoutMs: 1500,
    retry: { maxRetries: 1, initialDelayMs: 10, maxDelayMs: 20 },
    breaker: { consecutiveFailures: 1_000_000 },
  });
  app = await createTestApp({
    database: testDb.database,
    providers: { paystack: client },
    env: {
      PAYSTACK_SECRET_KEY: SECRET,
      PUBLIC_URL,
      RATE_LIMIT_GLOBAL_PER_MINUTE: '0',
      ALLOW_PRIVATE_WEBHOOK_TARGETS: 'true',
    },
  });
  trustTestPrincipalHeader(app);
  appUrl = await app.listen({ port: 0, host: '127.0.0.1' });
  sandbox.control.setWebhookUrl(`${appUrl}/api/v1/hooks/paystack`);
  reconciler = createPaymentsService({
    db,
    ledger,
    audit: app.services.audit,
    paystack: client,
    paystackSecretKey: SECRET,
    publicUrl: PUBLIC_URL,
    ngnPerUsd: 1600,
    logger: silent,
    staleAfterMs: 0,
  });
});

afterAll(async () => {
  await app?.close();
  await sandbox?.close();
  await proxy?.close();
  await testDb?.dispose();
});

afterEach(async () => {
  sandbox.control.clearFaults();
  sandbox.control.setOutage(false);
  if (proxyCut) await restoreProxy();
  await sandbox.control.settled();
});

// ---- helpers ---------------------------------------------------------------------------------

let proxyCut = false;
async function cutProxy() {
  await proxy.cut();
  proxyCut = true;
}
async function restoreProxy() {
  await proxy.restore();
  proxyCut = false;
}

function createTopup(
  principal: Principal,
  payload: Record<string, unknown>,
  headers: Record<string, string> = {},
) {
  return app.inject({
    method: 'POST',
    url: '/api/v1/wallet/topups',
    headers: { ...asPrincipal(principal), ...headers },
    payload,
  });
}

interface TopupBody {
  reference: string;
  status: string;
  authorizationUrl: string;
  amount: { amount: number; currency: string };
  charge: { amount: number; currency: string };
  exchangeRate: { ngnPerUsd: number } | null;
}

async function initialized(principal: Principal, amount = 500, currency?: 'USD' | 'NGN'): Promise<TopupBody> {
  const response = await createTopup(principal, { amount, ...(currency ? { currency } : {}) });
  expect(response.statusCode, response.body).toBe(201);
  return response.json<TopupBody>();
}

const get = (principal: Principal | null, url: string) =>
  app.inject({ method: 'GET', url, headers: principal ? asPrincipal(principal) : {} });

async function available(userId: string) {
  return (await ledger.walletSummary(db, userId)).balance;
}

async function topupLines(userId: string) {
  const lines = await ledger.walletStatement(db, userId, { limit: 1000 });
  return lines.filter((line) => line.kind === 'topup');
}

const auditFor = async (reference: string) =>
  (await app.services.audit.list({ limit: 200 })).filter((entry) => entry.subjectId === reference);

const callback = (reference: string) =>
  app.inject({
    method: 'GET',
    url: `/api/v1/wallet/topups/callback?trxref=${reference}&reference=${reference}`,
  });

/** Presses Pay on the sandbox checkout page (a plain form POST) and returns where it redirects. */
async function pressPay(authorizationUrl: string): Promise<URL> {
  const response = await fetch(`${authorizationUrl}/pay`, { method: 'POST', redirect: 'manual' });
  expect(response.status).toBe(302);
  return new URL(response.headers.get('location')!);
}

function chargeSuccessBody(reference: string, data: Record<string, unknown> = {}) {
  return JSON.stringify({
    event: 'charge.success',
    data: { id: 1, status: 'success', reference, amount: 500, currency: 'USD', ...data },
  });
}

// ---- tests -----------------------------------------------------------------------------------

describe('wallet top-ups through Paystack', () => {
  it('happy path: initialize, pay on the checkout page, webhook credits once, callback redirects to /wallet', async () => {
    const user = testPrincipal();
    const topup = await initialized(user, 500);
    expect(topup).toMatchObject({
      status: 'initialized',
      amount: { amount: 500, currency: 'USD' },
      charge: { amount: 500, currency: 'USD' },
      exchangeRate: null,
    });
    expect(topup.reference).toMatch(/^nmk-tu-[a-z2-7]{24}$/);
    expect(topup.authorizationUrl).toMatch(/\/checkout\//);
    // Paystack was asked for exactly what the server computed, with our callback URL.
    expect(sandbox.control.transaction(topup.reference)).toMatchObject({
      amount: 500,
      currency: 'USD',
      status: 'abandoned',
    });

    const status = await get(user, `/api/v1/wallet/topups/${topup.reference}`);
    expect(status.json()).toMatchObject({ reference: topup.reference, status: 'initialized' });

    const returnTo = await pressPay(topup.authorizationUrl);
    expect(`${returnTo.origin}${returnTo.pathname}`).toBe(`${PUBLIC_URL}/api/v1/wallet/topups/callback`);
    expect(returnTo.searchParams.get('reference')).toBe(topup.reference);
    await sandbox.control.settled();
    const deliveries = sandbox.control.webhooks().filter((w) => w.reference === topup.reference);
    expect(deliveries.map((d) => d.state)).toEqual(['delivered']);

    expect(await available(user.userId)).toBe(500);
    const back = await app.inject({ method: 'GET', url: `${returnTo.pathname}${returnTo.search}` });
    expect(back.statusCode).toBe(302);
    expect(back.headers.location).toBe(`/wallet?topup=${topup.reference}&status=succeeded`);
    expect(await available(user.userId)).toBe(500);

    const wallet = await get(user, '/api/v1/wallet');
    expect(wallet.json()).toEqual({
      balance: { amount: 500, currency: 'USD' },
      held: { amount: 0, currency: 'USD' },
      includedUsage: { freeVerifications: 0 },
    });
    expect((await get(user, `/api/v1/wallet/topups/${topup.reference}`)).json()).toMatchObject({
      status: 'succeeded',
      authorizationUrl: null,
    });
    const lines = await topupLines(user.userId);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      amount: 500,
      balanceAfter: 500,
      metadata: { reference: topup.reference },
    });
  });

  it('an NGN top-up charges kobo at the stored rate and credits the USD amount', async () => {
    const user = testPrincipal();
    const topup = await initialized(user, 1000, 'NGN');
    expect(topup).toMatchObject({
      amount: { amount: 1000, currency: 'USD' },
      charge: { amount: 1_600_000, currency: 'NGN' },
      exchangeRate: { ngnPerUsd: 1600 },
    });
    expect(sandbox.control.transaction(topup.reference)).toMatchObject({
      amount: 1_600_000,
      currency: 'NGN',
    });
    const row = await store.findByReference(db, topup.reference);
    expect(row).toMatchObject({
      ngnPerUsd: 1600,
      chargeCurrency: 'NGN',
      chargeAmountMinor: 1_600_000,
      amountUsdCents: 1000,
    });

    sandbox.control.pay(topup.reference);
    await sandbox.control.settled();
    expect(await available(user.userId)).toBe(1000);
  });

  it("records one wallet.topup.succeeded webhook event for the user's endpoint when credited", async () => {
    const account = await app.services.accounts.createUser({
      email: `${randomUUID().slice(0, 12)}@example.test`,
      password: 'a long enough password',
    });
    await app.services.accounts.setUserTier(account!.id, 'payg');
    await app.services.webhooks.createEndpoint({
      userId: account!.id,
      tier: 'payg',
      url: 'http://127.0.0.1:9/hook',
      events: ['wallet.topup.succeeded'],
    });
    const user = testPrincipal({ userId: account!.id, email: account!.email, tier: 'payg' });
    const topup = await initialized(user, 700);
    sandbox.control.pay(topup.reference);
    await sandbox.control.settled();
    // Settling again (callback, reconciler) credits nothing more and emits nothing more.
    await callback(topup.reference);
    await reconciler.settleTopup(topup.reference, 'reconciler');
    expect(await available(user.userId)).toBe(700);
    const { rows } = await testDb.database.sql.query(
      `select e.type, e.data, count(d.id)::int as deliveries from webhook_events e
         left join webhook_deliveries d on d.event_id = e.id
        where e.user_id = $1 group by e.id`,
      [user.userId],
    );
    expect(rows).toEqual([
      {
        type: 'wallet.topup.succeeded',
        data: expect.objectContaining({
          reference: topup.reference,
          status: 'succeeded',
          amount: { amount: 700, currency: 'USD' },
        }),
        deliveries: 1,
      },
    ]);
  });

  it('five webhooks, the callback and the reconciler at once credit exactly once', async () => {
    const user = testPrincipal();
    const topup = await initialized(user, 700);
    sandbox.control.pay(topup.reference, { sendWebhook: false });

    const [deliveries, back, reconciled] = await Promise.all([
      sandbox.control.resendWebhook(topup.reference, 5),
      callback(topup.reference),
      reconciler.reconcileTopups(),
    ]);
    expect(deliveries.every((d) => d.state === 'delivered')).toBe(true);
    expect(back.headers.location).toBe(`/wallet?topup=${topup.reference}&status=succeeded`);
    expect(reconciled.error).toBe(0);
    expect(await available(user.userId)).toBe(700);
    expect(await topupLines(user.userId)).toHaveLength(1);

    // And again, one by one, much later: still once.
    await sandbox.control.resendWebhook(topup.reference, 2);
    await callback(topup.reference);
    expect(await reconciler.settleTopup(topup.reference, 'reconciler')).toEqual({
      outcome: 'already_settled',
      status: 'succeeded',
    });
    expect(await available(user.userId)).toBe(700);
    expect((await checkLedgerInvariants(db)).violations).toEqual([]);
  });

  it('a slow verify does not hold the webhook: 200 in time, the credit lands when verify answers', async () => {
    const user = testPrincipal();
    const topup = await initialized(user, 650);
    sandbox.control.pay(topup.reference, { sendWebhook: false });
    const quick = createPaymentsService({
      db,
      ledger,
      audit: app.services.audit,
      paystack: client,
      paystackSecretKey: SECRET,
      publicUrl: PUBLIC_URL,
      ngnPerUsd: 1600,
      logger: silent,
      webhookAnswerWithinMs: 100,
    });
    sandbox.control.failNext({ path: '/transaction/verify', mode: 'hang', hangMs: 800 });
    const body = chargeSuccessBody(topup.reference);
    const started = Date.now();
    expect(await quick.handleWebhook(Buffer.from(body), signWebhookBody(body, SECRET))).toBe(true);
    expect(Date.now() - started).toBeLessThan(700);
    expect(await available(user.userId)).toBe(0);
    await expect.poll(() => available(user.userId), { timeout: 5_000 }).toBe(650);
    expect((await checkLedgerInvariants(db)).violations).toEqual([]);
  });

  it('a forged or missing signature is 401 and credits nothing', async () => {
    const user = testPrincipal();
    const topup = await initialized(user, 500);
    sandbox.control.pay(topup.reference, { sendWebhook: false });
    const body = chargeSuccessBody(topup.reference);

    const unsigned = await sandbox.control.sendWebhook(body, { signature: false });
    const forged = await sandbox.control.sendWebhook(body, {
      signature: signWebhookBody(body, 'sk_test_wrong_key'),
    });
    const garbage = await sandbox.control.sendWebhook(body, { signature: 'not-hex' });
    // Signed, then tampered with: the signature covers the exact bytes.
    const tampered = await fetch(`${appUrl}/api/v1/hooks/paystack`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-paystack-signature': signWebhookBody(body, SECRET) },
      body: body.replace('"amount":500', '"amount":900'),
    });
    for (const delivery of [unsigned, forged, garbage]) {
      expect(delivery.attempts.map((a) => a.status)).toEqual([401, 401, 401]);
    }
    expect(tampered.status).toBe(401);
    // The same code as the TextVerified hook's bad signature.
    expect(await tampered.json()).toMatchObject({ error: { code: 'invalid_signature' } });
    expect(await available(user.userId)).toBe(0);
    expect((await store.findByReference(db, topup.reference))?.status).toBe('initialized');
  });

  it('the webhook of an instance without a Paystack key is 503 provider_unavailable, like its top-ups', async () => {
    const unconfigured = createPaymentsService({
      db,
      ledger,
      audit: app.services.audit,
      paystack: undefined,
      paystackSecretKey: undefined,
      publicUrl: PUBLIC_URL,
      ngnPerUsd: 1600,
      logger: silent,
    });
    const body = chargeSuccessBody('nmk-tu-aaaaaaaaaaaaaaaaaaaaaaaa');
    await expect(
      unconfigured.handleWebhook(Buffer.from(body), signWebhookBody(body, SECRET)),
    ).rejects.toMatchObject({ status: 503, code: 'provider_unavailable' });
  });

  it('a validly signed webhook is not believed: verify saying failed or abandoned credits nothing', async () => {
    const user = testPrincipal();
    const declined = await initialized(user, 500);
    const unpaid = await initialized(user, 600);
    sandbox.control.decline(declined.reference);

    for (const reference of [declined.reference, unpaid.reference]) {
      const delivery = await sandbox.control.sendWebhook(chargeSuccessBody(reference));
      expect(delivery.state).toBe('delivered');
    }
    expect(await available(user.userId)).toBe(0);
    expect((await store.findByReference(db, declined.reference))?.status).toBe('failed');
    expect((await store.findByReference(db, unpaid.reference))?.status).toBe('initialized');
    expect((await callback(unpaid.reference)).headers.location).toBe(
      `/wallet?topup=${unpaid.reference}&status=pending`,
    );
    expect((await callback(declined.reference)).headers.location).toBe(
      `/wallet?topup=${declined.reference}&status=failed`,
    );
    // A webhook for a reference we never issued is acknowledged and ignored.
    const stranger = await sandbox.control.sendWebhook(chargeSuccessBody('nmk-tu-zzzzzzzzzzzzzzzzzzzzzzzz'));
    expect(stranger.state).toBe('delivered');
    expect(await available(user.userId)).toBe(0);
  });

  it('a payment of another amount or currency is not credited, is flagged and audited', async () => {
    const user = testPrincipal();
    const short = await initialized(user, 500);
    const otherCurrency = await initialized(user, 500);
    sandbox.control.pay(short.reference, { amountMinor: 400 });
    sandbox.control.pay(otherCurrency.reference, { currency: 'NGN' });
    await sandbox.control.settled();

    expect(await available(user.userId)).toBe(0);
    expect(await store.findByReference(db, short.reference)).toMatchObject({
      status: 'flagged',
      failureReason: 'amount_mismatch',
      paidAmountMinor: 400,
      paidCurrency: 'USD',
      ledgerTransactionId: null,
    });
    expect(await store.findByReference(db, otherCurrency.reference)).toMatchObject({
      status: 'flagged',
      failureReason: 'currency_mismatch',
      paidCurrency: 'NGN',
    });
    const events = await auditFor(short.reference);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      action: 'payments.topup_flagged',
      subjectType: 'topup',
      details: {
        userId: user.userId,
        reason: 'amount_mismatch',
        expected: { amount: 500, currency: 'USD' },
        paid: { amount: 400, currency: 'USD' },
      },
    });
    expect(await auditFor(otherCurrency.reference)).toHaveLength(1);
    // Redeliveries, the callback and the reconciler change nothing and record nothing more.
    await sandbox.control.resendWebhook(short.reference, 3);
    expect((await callback(short.reference)).headers.location).toBe(
      `/wallet?topup=${short.reference}&status=review`,
    );
    expect(await available(user.userId)).toBe(0);
    expect(await auditFor(short.reference)).toHaveLength(1);
  });

  it('client-sent metadata or extra fields cannot change the amount', async () => {
    const user = testPrincipal();
    const response = await createTopup(user, {
      amount: 500,
      metadata: { amount: 100_000, amountUsdCents: 100_000 },
      amountUsdCents: 100_000,
      charge: { amount: 1, currency: 'NGN' },
    });
    expect(response.statusCode).toBe(201);
    const topup = response.json<TopupBody>();
    expect(topup.amount).toEqual({ amount: 500, currency: 'USD' });
    expect(sandbox.control.transaction(topup.reference)).toMatchObject({ amount: 500, currency: 'USD' });
    sandbox.control.pay(topup.reference, { sendWebhook: false });
    // A signed event claiming more (and metadata saying so) is only a hint: the row decides.
    const claim = chargeSuccessBody(topup.reference, { amount: 100_000, metadata: { amount: 100_000 } });
    expect((await sandbox.control.sendWebhook(claim)).state).toBe('delivered');
    expect(await available(user.userId)).toBe(500);

    for (const bad of [
      { amount: 99 },
      { amount: 100_001 },
      { amount: 150.5 },
      { amount: '500' },
      { amount: 500, currency: 'EUR' },
    ]) {
      const refused = await createTopup(user, bad);
      expect(refused.statusCode).toBe(400);
      expect(refused.json()).toMatchObject({ error: { code: 'validation_failed' } });
    }
  });

  it("another user's top-up is 404; lists show only one's own, newest first, with cursors", async () => {
    const owner = testPrincipal();
    const other = testPrincipal();
    const first = await initialized(owner, 100);
    const second = await initialized(owner, 200);
    const third = await initialized(owner, 300);

    const foreign = await get(other, `/api/v1/wallet/topups/${first.reference}`);
    expect(foreign.statusCode).toBe(404);
    expect(foreign.json()).toMatchObject({ error: { code: 'not_found' } });
    expect((await get(owner, '/api/v1/wallet/topups/nmk-tu-zzzzzzzzzzzzzzzzzzzzzzzz')).statusCode).toBe(404);
    expect((await get(other, '/api/v1/wallet/topups')).json()).toEqual({ data: [], nextCursor: null });

    const page1 = (await get(owner, '/api/v1/wallet/topups?limit=2')).json<{
      data: TopupBody[];
      nextCursor: string;
    }>();
    expect(page1.data.map((t) => t.reference)).toEqual([third.reference, second.reference]);
    const page2 = (await get(owner, `/api/v1/wallet/topups?limit=2&cursor=${page1.nextCursor}`)).json<{
      data: TopupBody[];
      nextCursor: string | null;
    }>();
    expect(page2.data.map((t) => t.reference)).toEqual([first.reference]);
    expect(page2.nextCursor).toBeNull();
  });

  it('the wallet routes are in the OpenAPI document', async () => {
    const response = await app.inject({ method: 'GET', url: '/api/openapi.json' });
    expect(response.statusCode).toBe(200);
    const paths = Object.keys(response.json<{ paths: Record<string, unknown> }>().paths);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/api/v1/wallet',
        '/api/v1/wallet/statement',
        '/api/v1/wallet/topups',
        '/api/v1/wallet/topups/{reference}',
        '/api/v1/wallet/topups/callback',
        '/api/v1/hooks/paystack',
      ]),
    );
  });

  it('requires a principal for the wallet routes (the webhook and callback do not)', async () => {
    for (const url of [
      '/api/v1/wallet',
      '/api/v1/wallet/statement',
      '/api/v1/wallet/topups',
      '/api/v1/wallet/topups/x',
    ]) {
      expect((await get(null, url)).statusCode).toBe(401);
    }
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/wallet/topups',
      payload: { amount: 500 },
    });
    expect(response.statusCode).toBe(401);
    expect((await callback('nmk-tu-zzzzzzzzzzzzzzzzzzzzzzzz')).statusCode).toBe(302);
    expect(
      (await app.inject({ method: 'GET', url: '/api/v1/wallet/topups/callback?reference=not-ours' })).headers
        .location,
    ).toBe('/wallet?status=unknown');
  });

  it('Idempotency-Key: the same request gives the same top-up; the route allows 5 per minute per user', async () => {
    const user = testPrincipal();
    const headers = { 'idempotency-key': `k-${randomUUID()}` };
    const a = await createTopup(user, { amount: 500 }, headers);
    const b = await createTopup(user, { amount: 500 }, headers);
    expect(a.statusCode).toBe(201);
    expect(b.statusCode).toBe(201);
    expect(b.headers['idempotent-replayed']).toBe('true');
    expect(b.json<TopupBody>().reference).toBe(a.json<TopupBody>().reference);
    expect(sandbox.control.requests({ path: '/transaction/initialize' }).length).toBeGreaterThan(0);

    // Both requests above count against the limit (the limiter runs before the idempotency replay).
    const responses = [];
    for (let i = 0; i < 5; i++) responses.push(await createTopup(user, { amount: 100 + i }));
    expect(responses.map((r) => r.statusCode)).toEqual([201, 201, 201, 429, 429]);
    expect(responses[3]!.json()).toMatchObject({ error: { code: 'rate_limited' } });
    // Another user is not affected.
    expect((await createTopup(testPrincipal(), { amount: 100 })).statusCode).toBe(201);
  });

  it('a key reaching the handler again (a crashed request taken over) resumes the same top-up', async () => {
    const user = testPrincipal();
    const input = {
      userId: user.userId,
      email: user.email,
      amountUsdCents: 500,
      currency: 'USD' as const,
      requestKey: 'resume-1',
    };
    const first = await reconciler.initializeTopup(input);
    const again = await reconciler.initializeTopup(input);
    expect(again.reference).toBe(first.reference);
    expect(sandbox.control.transactions().filter((t) => t.reference === first.reference)).toHaveLength(1);
    // While the first attempt is still talking to Paystack, a second one is refused, not duplicated.
    sandbox.control.failNext({ path: '/transaction/initialize', mode: 'hang', hangMs: 300 });
    const slow = reconciler.initializeTopup({ ...input, requestKey: 'resume-2' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await expect(reconciler.initializeTopup({ ...input, requestKey: 'resume-2' })).rejects.toMatchObject({
      code: 'idempotency_key_in_use',
    });
    expect((await slow).status).toBe('initialized');
  });

  it('1000 concurrent webhooks for 200 references credit exactly 200 times; the ledger holds', async () => {
    const users = Array.from({ length: 20 }, () => testPrincipal());
    const topups: { user: Principal; view: TopupView }[] = [];
    for (let batch = 0; batch < 10; batch++) {
      topups.push(
        ...(await Promise.all(
          Array.from({ length: 20 }, async (_, j) => {
            const i = batch * 20 + j;
            const user = users[i % users.length]!;
            const view = await reconciler.initializeTopup({
              userId: user.userId,
              email: user.email,
              amountUsdCents: 100 + i,
              currency: 'USD',
              requestKey: null,
            });
            return { user, view };
          }),
        )),
      );
    }
    for (const { view } of topups) sandbox.control.pay(view.reference, { sendWebhook: false });

    const deliveries = (
      await Promise.all(topups.map(({ view }) => sandbox.control.resendWebhook(view.reference, 5)))
    ).flat();
    expect(deliveries).toHaveLength(1000);
    expect(deliveries.filter((d) => d.state !== 'delivered')).toEqual([]);

    for (const user of users) {
      const own = topups.filter((t) => t.user === user);
      expect(await available(user.userId)).toBe(own.reduce((sum, t) => sum + t.view.amount.amount, 0));
      expect(await topupLines(user.userId)).toHaveLength(own.length);
    }
    for (const { view } of topups)
      expect((await store.findByReference(db, view.reference))?.status).toBe('succeeded');
    const report = await checkLedgerInvariants(db);
    expect(report.violations).toEqual([]);
  }, 120_000);
});

describe('Paystack outages', () => {
  async function expectNoVisibleTopup(user: Principal, response: Awaited<ReturnType<typeof createTopup>>) {
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ error: { code: 'provider_unavailable' } });
    expect((await get(user, '/api/v1/wallet/topups')).json()).toEqual({ data: [], nextCursor: null });
  }

  it('initialize with the connection refused: 503, the top-up is failed and hidden; a retry with the key works', async () => {
    const user = testPrincipal();
    const key = { 'idempotency-key': `k-${randomUUID()}` };
    await cutProxy();
    await expectNoVisibleTopup(user, await createTopup(user, { amount: 500 }, key));
    await restoreProxy();
    const retry = await createTopup(user, { amount: 500 }, key);
    expect(retry.statusCode).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBeUndefined();
    expect((await get(user, '/api/v1/wallet/topups')).json<{ data: unknown[] }>().data).toHaveLength(1);
  });

  it('initialize answered 500 or 503 (outage): 503 and nothing visible', async () => {
    const user = testPrincipal();
    sandbox.control.failNext({ path: '/transaction/initialize', status: 500 });
    await expectNoVisibleTopup(user, await createTopup(user, { amount: 500 }));
    sandbox.control.setOutage(true);
    await expectNoVisibleTopup(user, await createTopup(user, { amount: 500 }));
  });

  it('initialize timing out (it did happen at Paystack): 503, hidden, and credited only if verify later says paid', async () => {
    const user = testPrincipal();
    sandbox.control.failNext({ path: '/transaction/initialize', mode: 'hang', hangMs: 2500 });
    await expectNoVisibleTopup(user, await createTopup(user, { amount: 800 }));

    const ghost = sandbox.control.transactions().find((t) => t.amount === 800 && t.status === 'abandoned');
    expect(ghost).toBeDefined();
    const reference = String(ghost!.reference);
    expect(await store.findByReference(db, reference)).toMatchObject({
      status: 'initializing',
      authorizationUrl: null,
    });
    expect((await get(user, `/api/v1/wallet/topups/${reference}`)).statusCode).toBe(404);

    // Still unpaid: the reconciler leaves it alone.
    await reconciler.reconcileTopups();
    expect((await store.findByReference(db, reference))?.status).toBe('initializing');
    expect(await available(user.userId)).toBe(0);

    // If it does get paid (the right amount), the reconciler credits it and it becomes visible.
    sandbox.control.pay(reference, { sendWebhook: false });
    const counts = await reconciler.reconcileTopups();
    expect(counts.credited).toBeGreaterThanOrEqual(1);
    expect(await available(user.userId)).toBe(800);
    expect((await get(user, `/api/v1/wallet/topups/${reference}`)).json()).toMatchObject({
      status: 'succeeded',
    });
  });

  it('verify unavailable during the webhook and the callback: stays pending, the reconciler completes it', async () => {
    const user = testPrincipal();
    const topup = await initialized(user, 900);
    sandbox.control.setOutage(true);
    sandbox.control.pay(topup.reference);
    await sandbox.control.settled();
    expect(sandbox.control.webhooks().find((w) => w.reference === topup.reference)?.state).toBe('delivered');
    expect((await callback(topup.reference)).headers.location).toBe(
      `/wallet?topup=${topup.reference}&status=pending`,
    );
    await cutProxy();
    expect((await callback(topup.reference)).headers.location).toBe(
      `/wallet?topup=${topup.reference}&status=pending`,
    );
    expect(await reconciler.settleTopup(topup.reference, 'reconciler')).toMatchObject({ outcome: 'pending' });
    expect((await store.findByReference(db, topup.reference))?.status).toBe('initialized');
    expect(await available(user.userId)).toBe(0);

    await restoreProxy();
    sandbox.control.setOutage(false);
    const counts = await reconciler.reconcileTopups();
    expect(counts.credited).toBeGreaterThanOrEqual(1);
    expect(await available(user.userId)).toBe(900);
  });
});

describe('the reconciler job', () => {
  it('runs every minute; credits paid, fails declined, abandons old unpaid top-ups', async () => {
    const jobs = new Jobs(testDb.database.sql, silent);
    const service = createPaymentsService({
      db,
      ledger,
      audit: app.services.audit,
      paystack: client,
      paystackSecretKey: SECRET,
      publicUrl: PUBLIC_URL,
      ngnPerUsd: 1600,
      logger: silent,
      staleAfterMs: 0,
      abandonAfterMs: 0,
    });
    definePaymentsJobs(jobs, { logger: silent, payments: service });

    const user = testPrincipal();
    const paid = await initialized(user, 300);
    const declined = await initialized(user, 400);
    const unpaid = await initialized(user, 500);
    sandbox.control.pay(paid.reference, { sendWebhook: false });
    sandbox.control.decline(declined.reference);

    await jobs.runNow(RECONCILE_TOPUPS);
    expect((await store.findByReference(db, paid.reference))?.status).toBe('succeeded');
    expect((await store.findByReference(db, declined.reference))?.status).toBe('failed');
    expect(await store.findByReference(db, unpaid.reference)).toMatchObject({
      status: 'abandoned',
      failureReason: 'not_paid_in_time',
    });
    expect(await available(user.userId)).toBe(300);

    // Paid after all, after being marked abandoned (the customer came back): a webhook still credits it, once.
    sandbox.control.pay(unpaid.reference);
    await sandbox.control.settled();
    expect(await available(user.userId)).toBe(800);
    expect((await store.findByReference(db, unpaid.reference))?.status).toBe('succeeded');
  });

  it('the default job uses the one-minute threshold: a fresh top-up is left alone', async () => {
    const jobs = new Jobs(testDb.database.sql, silent);
    definePaymentsJobs(jobs, { logger: silent, payments: app.services.payments });
    const user = testPrincipal();
    const topup = await initialized(user, 300);
    sandbox.control.pay(topup.reference, { sendWebhook: false });
    await jobs.runNow(RECONCILE_TOPUPS);
    expect((await store.findByReference(db, topup.reference))?.status).toBe('initialized');
  });
});

describe('wallet statement', () => {
  it('lists every wallet line with its meaning, signed amount and running balance, newest first, paged', async () => {
    const user = testPrincipal();
    const topup = await initialized(user, 1000);
    sandbox.control.pay(topup.reference);
    await sandbox.control.settled();

    const hold = async (reference: string, amount: number) =>
      (
        await db.transaction((tx) =>
          ledger.hold(tx, { ownerId: user.userId, amount, reference, memo: `buy ${reference}` }),
        )
      ).hold;
    const captured = await hold(`t:${randomUUID()}`, 300);
    await db.transaction((tx) => ledger.capture(tx, captured.id, 'Code received'));
    const released = await hold(`t:${randomUUID()}`, 200);
    const open = await hold(`t:${randomUUID()}`, 100);
    await db.transaction((tx) => ledger.release(tx, released.id, 'No code in time'));
    await db.transaction((tx) => ledger.adjust(tx, { ownerId: user.userId, amount: 50, memo: 'Goodwill' }));
    await db.transaction((tx) =>
      ledger.adjust(tx, { ownerId: user.userId, amount: 5, memo: 'free credits', currency: 'CREDIT' }),
    );

    const wallet = (await get(user, '/api/v1/wallet')).json();
    expect(wallet).toEqual({
      balance: { amount: 1000 - 300 - 100 + 50, currency: 'USD' },
      held: { amount: 100, currency: 'USD' },
      includedUsage: { freeVerifications: 5 },
    });
    expect(open.status).toBe('pending');

    type Line = {
      id: string;
      type: string;
      amount: { amount: number };
      balanceAfter: { amount: number };
      memo: string;
      reference: string | null;
    };
    const all: Line[] = [];
    let cursor: string | null = null;
    do {
      const response = await get(
        user,
        `/api/v1/wallet/statement?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(response.statusCode).toBe(200);
      const page = response.json<{ data: Line[]; nextCursor: string | null }>();
      all.push(...page.data);
      cursor = page.nextCursor;
    } while (cursor);

    expect(all.map((l) => [l.type, l.amount.amount, l.balanceAfter.amount])).toEqual([
      ['adjustment', 50, 650],
      ['release', 200, 600],
      ['hold', -100, 400],
      ['hold', -200, 500],
      ['capture', 0, 700],
      ['hold', -300, 700],
      ['top-up', 1000, 1000],
    ]);
    expect(all.at(-1)).toMatchObject({ reference: topup.reference });
    expect(all[4]).toMatchObject({ memo: 'Code received' });
    expect(new Set(all.map((l) => l.id)).size).toBe(all.length);
    expect((await checkLedgerInvariants(db)).violations).toEqual([]);
  });
});
