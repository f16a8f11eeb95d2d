import { eventually } from '../../../test/support/eventually.js';
import { smsReceivedWebhookBody } from '../../../test/support/textverified.js';
import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, createTestApp } from '../../../test/support/app.js';
import { createPostgresTestDatabase, type TestDatabase } from '../../../test/support/database.js';
import { asPrincipal, testPrincipal, trustTestPrincipalHeader } from '../../../test/support/principal.js';
import type { Db } from '../../platform/db/database.js';
import type { Principal } from '../../platform/http/principal.js';
import {
  createTextVerifiedClient,
  signWebhookBody,
  type TextVerifiedClient,
} from '../../providers/textverified/index.js';
import { startTextVerifiedSandbox, type TextVerifiedSandbox } from '../../sandbox/textverified/index.js';
import type { VerificationsService } from './service.js';
import type { VerificationView } from './views.js';
import { verifications } from './schema.js';
import * as store from './store.js';
import { checkLedgerInvariants, createLedgerService } from '../ledger/index.js';
import { fundWallet } from '../../../test/support/wallet.js';

const ledger = createLedgerService();

const SECRET = 'whsec_verifications_test';
const ENV = { TEXTVERIFIED_WEBHOOK_SECRET: SECRET, RATE_LIMIT_GLOBAL_PER_MINUTE: '0' };

let testDb: TestDatabase;
let db: Db;
let sandbox: TextVerifiedSandbox;
let client: TextVerifiedClient;
let app: TestApp;
let verificationService: VerificationsService;
let hookUrl: string;

beforeAll(async () => {
  testDb = await createPostgresTestDatabase(20);
  db = testDb.database.db;
  sandbox = await startTextVerifiedSandbox({
    apiKey: 'tv-key',
    username: 'ops@namaskah.test',
    webhookSecret: SECRET,
    smsDelayMs: 3_600_000, // SMS only on command
    maxUnfinished: 1_000_000,
    balanceCents: 1_000_000_000,
    hangMs: 2_000,
    webhookRetryBaseMs: 50,
  });
  sandbox.control.setStock('whatsapp', 1_000_000);
  client = createTextVerifiedClient({
    baseUrl: sandbox.url,
    apiKey: 'tv-key',
    username: 'ops@namaskah.test',
    timeoutMs: 800,
    retry: { retries: 1, initialDelayMs: 10, maxDelayMs: 20 },
    circuitBreaker: { consecutiveFailures: 1_000_000 },
  });
  app = await createTestApp({ database: testDb.database, providers: { textVerified: client }, env: ENV });
  trustTestPrincipalHeader(app);
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  hookUrl = `${url}/api/v1/hooks/textverified`;
  sandbox.control.setWebhook(hookUrl);
  verificationService = app.services.verifications;
}, 60_000);

afterAll(async () => {
  await app?.close();
  await sandbox?.close();
  await testDb?.dispose();
});

afterEach(() => {
  sandbox.control.clearFaults();
});

// ---- helpers ---------------------------------------------------------------------------------

async function fund(userId: string, cents: number) {
  await fundWallet(db, userId, cents);
}

async function fundedUser(cents = 10_000, tier = 'payg'): Promise<Principal> {
  const principal = testPrincipal({ tier });
  await fund(principal.userId, cents);
  return principal;
}

function buy(
  principal: Principal,
  payload: Record<string, unknown> = { service: 'whatsapp', country: 'US' },
  headers: Record<string, string> = {},
) {
  return app.inject({
    method: 'POST',
    url: '/api/v1/verifications',
    headers: { ...asPrincipal(principal), ...headers },
    payload,
  });
}

async function bought(principal: Principal, payload?: Record<string, unknown>): Promise<VerificationView> {
  const response = await buy(principal, payload);
  expect(response.statusCode, response.body).toBe(201);
  const view = response.json<VerificationView>();
  expect(view.status).toBe('active');
  return view;
}

/** A purchase whose provider answer never comes back (the create happened upstream): 202 pending. */
async function buyWithLostAnswer(principal: Principal, idempotencyKey: string): Promise<VerificationView> {
  sandbox.control.injectFault({
    path: '/api/pub/v2/verifications',
    method: 'POST',
    mode: 'hang',
    afterEffect: true,
  });
  const response = await buy(
    principal,
    { service: 'whatsapp', country: 'US' },
    { 'idempotency-key': idempotencyKey },
  );
  expect(response.statusCode, response.body).toBe(202);
  return response.json<VerificationView>();
}

async function read(principal: Principal, id: string): Promise<VerificationView> {
  const response = await app.inject({ url: `/api/v1/verifications/${id}`, headers: asPrincipal(principal) });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<VerificationView>();
}

const providerIdOf = async (id: string) => (await store.findById(db, id))!.providerId!;
const wallet = (userId: string) => ledger.walletSummary(db, userId);

function signedSmsWebhook(sms: Parameters<typeof smsReceivedWebhookBody>[0]) {
  const body = smsReceivedWebhookBody(sms);
  return { body, signature: signWebhookBody(body, SECRET) };
}

const postWebhook = (body: string, signature: string) =>
  app.inject({
    method: 'POST',
    url: '/api/v1/hooks/textverified',
    headers: { 'content-type': 'application/json', 'x-webhook-signature': signature },
    payload: body,
  });

/** The expiry sweep's counter of deferred (or, past the bound, unchecked) expiries. */
async function expiryDeferrals(outcome: 'deferred' | 'expired_unchecked'): Promise<number> {
  const metric = app.platform.metrics.registry.getSingleMetric(
    'namaskah_verification_expiry_deferrals_total',
  );
  if (!metric) return 0;
  const { values } = await metric.get();
  return values.find((v) => v.labels.outcome === outcome)?.value ?? 0;
}

async function expectLedgerOk() {
  const report = await checkLedgerInvariants(db);
  expect(report.violations).toEqual([]);
  expect(report.ok).toBe(true);
}

// ---- catalogue ---------------------------------------------------------------------------------

describe('catalogue', () => {
  it('lists services and countries and quotes by tier with integer rounding up', async () => {
    const services = await app.inject({ url: '/api/v1/catalog/services?country=US&q=whats' });
    expect(services.statusCode).toBe(200);
    expect(services.json<{ data: { name: string }[] }>().data.map((s) => s.name)).toEqual(['whatsapp']);
    const countries = await app.inject({ url: '/api/v1/catalog/countries' });
    expect(countries.json<{ data: unknown[] }>().data).toEqual([
      { code: 'US', name: 'United States', available: true },
    ]);

    // WhatsApp costs 0.95 upstream: × 1.5 = 142.5 → 143; pro × 0.85 = 121.55 → 122.
    const anonymous = await app.inject({ url: '/api/v1/catalog/quote?service=whatsapp&country=US' });
    expect(anonymous.json<{ price: unknown }>().price).toEqual({ amount: 143, currency: 'USD' });
    const pro = await app.inject({
      url: '/api/v1/catalog/quote?service=whatsapp&country=US',
      headers: asPrincipal(testPrincipal({ tier: 'pro' })),
    });
    expect(pro.json<{ price: unknown }>().price).toEqual({ amount: 122, currency: 'USD' });
    // payg: area code costs the provider +0.10 → 1.05 × 1.5 = 157.5 → 158, + 25 surcharge.
    const paygAreaCode = await app.inject({
      url: '/api/v1/catalog/quote?service=whatsapp&country=US&areaCode=415',
      headers: asPrincipal(testPrincipal({ tier: 'payg' })),
    });
    expect(paygAreaCode.json<{ price: unknown }>().price).toEqual({ amount: 183, currency: 'USD' });
    const freemiumAreaCode = await app.inject({
      url: '/api/v1/catalog/quote?service=whatsapp&country=US&areaCode=415',
      headers: asPrincipal(testPrincipal({ tier: 'freemium' })),
    });
    expect(freemiumAreaCode.statusCode).toBe(403);
    expect(freemiumAreaCode.json<{ error: { code: string } }>().error.code).toBe('tier_required');
  });
});

// ---- purchase and intake -----------------------------------------------------------------------

describe('purchase → SMS → completed', () => {
  it('charges once when the code arrives by webhook', async () => {
    const user = await fundedUser(1_000);
    const view = await bought(user);
    expect(view.price).toEqual({ amount: 143, currency: 'USD' });
    expect(view.phoneNumber).toMatch(/^\+1\d{10}$/);
    expect(await wallet(user.userId)).toEqual({ balance: 857, held: 143 });

    sandbox.control.deliverSms(await providerIdOf(view.id), {
      code: '482913',
      text: 'Your WhatsApp code is 482-913',
    });
    const done = await eventually(async () => {
      const v = await read(user, view.id);
      return v.status === 'completed' ? v : undefined;
    });
    expect(done.code).toBe('482913');
    expect(done.messages).toHaveLength(1);
    expect(await wallet(user.userId)).toEqual({ balance: 857, held: 0 });

    // A second SMS on the same number is kept, and charges nothing more.
    sandbox.control.deliverSms(await providerIdOf(view.id), { text: 'Your WhatsApp code is 111-222' });
    await eventually(async () => ((await read(user, view.id)).messages!.length === 2 ? true : undefined));
    expect(await wallet(user.userId)).toEqual({ balance: 857, held: 0 });
    await expectLedgerOk();
  });

  it('webhook and poller delivering the same SMS → one message, one capture', async () => {
    const user = await fundedUser(1_000);
    const view = await bought(user);
    const providerId = await providerIdOf(view.id);
    const sms = sandbox.control.deliverSms(providerId);
    await eventually(async () =>
      sandbox.control.webhooks().some((w) => w.delivered && w.body.includes(providerId)) ? true : undefined,
    );
    // The poller sees the same SMS (with its id) and the webhook is redelivered too.
    await verificationService.pollVerification({ providerId });
    await verificationService.pollVerification({ providerId });
    const { body, signature } = signedSmsWebhook(sms);
    expect((await postWebhook(body, signature)).statusCode).toBe(200);
    const final = await read(user, view.id);
    expect(final.status).toBe('completed');
    expect(final.messages).toHaveLength(1);
    expect(await wallet(user.userId)).toEqual({ balance: 1_000 - 143, held: 0 });
    await expectLedgerOk();
  });

  it('refuses a badly signed webhook', async () => {
    const { body } = signedSmsWebhook({
      createdAt: new Date(),
      smsContent: 'x',
      parsedCode: null,
      from: null,
      to: '1',
      reservationId: 'nope',
    });
    const response = await postWebhook(body, signWebhookBody(body, 'whsec_wrong'));
    expect(response.statusCode).toBe(401);
    expect((await postWebhook(body, '')).statusCode).toBe(401);
  });
});

describe('refunds', () => {
  it('no SMS → expired and released by the sweep', async () => {
    const user = await fundedUser(500);
    const view = await bought(user);
    expect(await wallet(user.userId)).toEqual({ balance: 357, held: 143 });
    const early = await verificationService.sweepExpired();
    expect((await read(user, view.id)).status).toBe('active');
    expect(early.expired).toBe(0);
    await verificationService.sweepExpired({ now: new Date(Date.now() + 16 * 60_000) });
    const after = await read(user, view.id);
    expect(after.status).toBe('expired');
    expect(await wallet(user.userId)).toEqual({ balance: 500, held: 0 });
    // A late SMS is shown and stays free.
    const providerId = await providerIdOf(view.id);
    sandbox.control.deliverSms(providerId, { code: '777888' });
    await verificationService.pollVerification({ providerId });
    const late = await read(user, view.id);
    expect(late.status).toBe('expired');
    expect(late.messages).toHaveLength(1);
    expect(late.messages![0]!.afterExpiry).toBe(true);
    expect(await wallet(user.userId)).toEqual({ balance: 500, held: 0 });
    await expectLedgerOk();
  });

  it('cancel before any SMS → refunded at once, provider told', async () => {
    const user = await fundedUser(500);
    const view = await bought(user);
    const response = await app.inject({
      method: 'POST',
      url: `/api/v1/verifications/${view.id}/cancel`,
      headers: asPrincipal(user),
    });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json<VerificationView>().status).toBe('canceled');
    expect(await wallet(user.userId)).toEqual({ balance: 500, held: 0 });
    expect(sandbox.control.verification(await providerIdOf(view.id))!.state).toBe('verificationCanceled');
    // Asking again changes nothing.
    const again = await app.inject({
      method: 'POST',
      url: `/api/v1/verifications/${view.id}/cancel`,
      headers: asPrincipal(user),
    });
    expect(again.statusCode).toBe(200);
    expect(await wallet(user.userId)).toEqual({ balance: 500, held: 0 });
    await expectLedgerOk();
  });

  it('report before a code → canceled and refunded', async () => {
    const user = await fundedUser(500);
    const view = await bought(user);
    const response = await app.inject({
      method: 'POST',
      url: `/api/v1/verifications/${view.id}/report`,
      headers: asPrincipal(user),
    });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json<VerificationView>()).toMatchObject({ status: 'canceled', failureCode: 'reported' });
    expect(await wallet(user.userId)).toEqual({ balance: 500, held: 0 });
  });

  it('an SMS without a code ends free cancel: captured, text shown, cancel refused, report refunds nothing', async () => {
    const user = await fundedUser(500);
    const view = await bought(user);
    const providerId = await providerIdOf(view.id);
    sandbox.control.deliverSms(providerId, { text: 'Welcome to WhatsApp! Your account is ready.' });
    await verificationService.pollVerification({ providerId });
    const captured = await read(user, view.id);
    expect(captured).toMatchObject({ status: 'completed', code: null });
    expect(captured.messages!.map((m) => m.text)).toEqual(['Welcome to WhatsApp! Your account is ready.']);
    expect(await wallet(user.userId)).toEqual({ balance: 357, held: 0 });

    const cancel = await app.inject({
      method: 'POST',
      url: `/api/v1/verifications/${view.id}/cancel`,
      headers: asPrincipal(user),
    });
    expect(cancel.statusCode, cancel.body).toBe(409);
    expect(cancel.json<{ error: { code: string } }>().error.code).toBe('already_completed');
    // Report stays available (the provider hears of the bad number) but refunds nothing after an SMS.
    const report = await app.inject({
      method: 'POST',
      url: `/api/v1/verifications/${view.id}/report`,
      headers: asPrincipal(user),
    });
    expect(report.statusCode, report.body).toBe(200);
    expect(report.json<VerificationView>()).toMatchObject({ status: 'completed', failureCode: 'reported' });
    expect(sandbox.control.verification(providerId)!.state).toBe('verificationReported');
    expect(await wallet(user.userId)).toEqual({ balance: 357, held: 0 });

    // A later SMS with a code is kept and fills in the code; nothing more is charged.
    sandbox.control.deliverSms(providerId, { text: 'Your WhatsApp code is 314-159', code: '314159' });
    await verificationService.pollVerification({ providerId });
    const later = await read(user, view.id);
    expect(later).toMatchObject({ status: 'completed', code: '314159' });
    expect(later.messages).toHaveLength(2);
    expect(await wallet(user.userId)).toEqual({ balance: 357, held: 0 });
    await expectLedgerOk();
  });

  it("only messages addressed to the order's number count (webhook and poller)", async () => {
    const user = await fundedUser(500);
    const view = await bought(user);
    const providerId = await providerIdOf(view.id);
    const own = sandbox.control.verification(providerId)!.number;
    const stranger = own === '2025550123' ? '2025550124' : '2025550123';
    // The provider hands us, under this reservation, an SMS sent to another number.
    const foreign = sandbox.control.deliverSms(providerId, { to: stranger, code: '999000' });
    await eventually(async () =>
      sandbox.control.webhooks().some((w) => w.delivered && w.body.includes(foreign.createdAt.toISOString()))
        ? true
        : undefined,
    );
    await verificationService.pollVerification({ providerId });
    const untouched = await read(user, view.id);
    expect(untouched).toMatchObject({ status: 'active', code: null });
    expect(untouched.messages).toEqual([]);
    expect(await wallet(user.userId)).toEqual({ balance: 357, held: 143 });

    sandbox.control.deliverSms(providerId, { code: '123123' });
    await verificationService.pollVerification({ providerId });
    const done = await read(user, view.id);
    expect(done).toMatchObject({ status: 'completed', code: '123123' });
    expect(done.messages).toHaveLength(1);
    expect(await wallet(user.userId)).toEqual({ balance: 357, held: 0 });
    await expectLedgerOk();
  });

  it('a failed last look at the provider defers the expiry; an SMS taken in later still completes', async () => {
    const user = await fundedUser(500);
    const view = await bought(user);
    const providerId = await providerIdOf(view.id);
    // The SMS arrives in the window but its webhook is lost, and the provider's SMS list then fails.
    sandbox.control.setWebhook(null);
    try {
      sandbox.control.deliverSms(providerId, { code: '271828' });
    } finally {
      sandbox.control.setWebhook(hookUrl);
    }
    sandbox.control.injectFault({ path: '/api/pub/v2/sms', method: 'GET', mode: 'error', count: 100 });
    const later = new Date(Date.now() + 16 * 60_000);
    const deferredBefore = await expiryDeferrals('deferred');
    await verificationService.sweepExpired({ now: later });
    expect(await read(user, view.id)).toMatchObject({ status: 'active' });
    expect(await wallet(user.userId)).toEqual({ balance: 357, held: 143 });
    expect(await expiryDeferrals('deferred')).toBeGreaterThan(deferredBefore);

    // Next sweep, the provider answers: the code that came in the window completes the order.
    sandbox.control.clearFaults();
    await verificationService.sweepExpired({ now: later });
    expect(await read(user, view.id)).toMatchObject({ status: 'completed', code: '271828' });
    expect(await wallet(user.userId)).toEqual({ balance: 357, held: 0 });
    await expectLedgerOk();
  });

  it('a provider that stays unreadable past the bound: the order expires anyway, counted', async () => {
    const user = await fundedUser(500);
    const view = await bought(user);
    sandbox.control.injectFault({ path: '/api/pub/v2/sms', method: 'GET', mode: 'error', count: 100 });
    const endsAt = new Date(view.expiresAt!);
    const uncheckedBefore = await expiryDeferrals('expired_unchecked');
    await verificationService.sweepExpired({
      now: new Date(endsAt.getTime() + 60 * 60_000),
      maxDeferMs: 2 * 3_600_000,
    });
    expect(await read(user, view.id)).toMatchObject({ status: 'active' });
    await verificationService.sweepExpired({
      now: new Date(endsAt.getTime() + 3 * 3_600_000),
      maxDeferMs: 2 * 3_600_000,
    });
    expect(await read(user, view.id)).toMatchObject({ status: 'expired', failureCode: 'no_sms' });
    expect(await wallet(user.userId)).toEqual({ balance: 500, held: 0 });
    expect(await expiryDeferrals('expired_unchecked')).toBeGreaterThan(uncheckedBefore);
    await expectLedgerOk();
  });

  it('cancel racing an arriving SMS (100 runs): completed-and-charged or canceled-and-refunded, never both or neither', async () => {
    const outcomes = { completed: 0, canceled: 0 };
    for (let run = 0; run < 100; run++) {
      const user = await fundedUser(143);
      const view = await bought(user);
      const providerId = await providerIdOf(view.id);
      const sms = sandbox.control.deliverSms(providerId); // also fires the sandbox's own webhook
      const { body, signature } = signedSmsWebhook(sms);
      const delay = () => new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 4)));
      const [hook, cancel] = await Promise.all([
        delay().then(() => postWebhook(body, signature)),
        delay().then(() =>
          app.inject({
            method: 'POST',
            url: `/api/v1/verifications/${view.id}/cancel`,
            headers: asPrincipal(user),
          }),
        ),
      ]);
      expect(hook.statusCode).toBe(200);
      expect([200, 409]).toContain(cancel.statusCode);
      await verificationService.pollVerification({ providerId });
      const final = await read(user, view.id);
      const money = await wallet(user.userId);
      expect(money.held).toBe(0);
      if (final.status === 'completed') {
        expect(cancel.statusCode).toBe(409);
        expect(money.balance).toBe(0);
        outcomes.completed++;
      } else {
        expect(final.status).toBe('canceled');
        expect(cancel.statusCode).toBe(200);
        expect(money.balance).toBe(143);
        expect(final.messages!.every((m) => m.afterExpiry)).toBe(true);
        outcomes.canceled++;
      }
    }
    expect(outcomes.completed + outcomes.canceled).toBe(100);
    await expectLedgerOk();
    console.info('cancel/SMS race outcomes', outcomes);
  }, 120_000);
});

describe('provider failures', () => {
  it('out of stock → failed, released, clear error code', async () => {
    const user = await fundedUser(500);
    sandbox.control.setStock('telegram', 0);
    const response = await buy(user, { service: 'telegram', country: 'US' });
    expect(response.statusCode, response.body).toBe(409);
    const error = response.json<{ error: { code: string; details: { verificationId: string } } }>().error;
    expect(error.code).toBe('out_of_stock');
    const order = await read(user, error.details.verificationId);
    expect(order).toMatchObject({ status: 'failed', failureCode: 'out_of_stock' });
    expect(await wallet(user.userId)).toEqual({ balance: 500, held: 0 });
    await expectLedgerOk();
  });

  it('cancel while the number is still being bought (outcome unknown) → refunded at once, canceled upstream later', async () => {
    const user = await fundedUser(500);
    const pending = await buyWithLostAnswer(user, `lost-${user.userId}`);
    expect(await wallet(user.userId)).toEqual({ balance: 357, held: 143 });

    const canceled = await app.inject({
      method: 'POST',
      url: `/api/v1/verifications/${pending.id}/cancel`,
      headers: asPrincipal(user),
    });
    expect(canceled.statusCode, canceled.body).toBe(200);
    expect(canceled.json<VerificationView>().status).toBe('canceled');
    expect(await wallet(user.userId)).toEqual({ balance: 500, held: 0 });
    // The reconciler leaves it alone; the upstream job finds the purchase by its key and cancels it.
    expect(await verificationService.reconcilePending({ olderThanMs: 0 })).toMatchObject({ activated: 0 });
    await verificationService.retryUpstreamActions({ unboughtAfterMs: 0 });
    const providerId = await providerIdOf(pending.id);
    expect(sandbox.control.verification(providerId)!.state).toBe('verificationCanceled');
    expect((await store.findById(db, pending.id))!.upstreamAction).toBeNull();
    expect(await read(user, pending.id)).toMatchObject({ status: 'canceled' });
    expect(await wallet(user.userId)).toEqual({ balance: 500, held: 0 });
    await expectLedgerOk();
  });

  it('cancel racing the number being assigned → refunded once, and the new number is given back upstream', async () => {
    const user = await fundedUser(500);
    sandbox.control.setCreateLatency(400);
    try {
      const purchase = buy(user);
      const pendingRow = await eventually(async () => {
        const rows = await db.select().from(verifications).where(eq(verifications.userId, user.userId));
        return rows[0];
      });
      const canceled = await app.inject({
        method: 'POST',
        url: `/api/v1/verifications/${pendingRow.id}/cancel`,
        headers: asPrincipal(user),
      });
      expect(canceled.json<VerificationView>().status).toBe('canceled');
      const answered = await purchase;
      expect(answered.json<VerificationView>().status).toBe('canceled');
      const providerId = await providerIdOf(pendingRow.id);
      expect(sandbox.control.verification(providerId)!.state).toBe('verificationCanceled');
      expect(await wallet(user.userId)).toEqual({ balance: 500, held: 0 });
      await expectLedgerOk();
    } finally {
      sandbox.control.setCreateLatency(0);
    }
  });

  it('provider timeout on create → pending (202), then reconciled with the same key', async () => {
    const user = await fundedUser(500);
    const pending = await buyWithLostAnswer(user, `timeout-${user.userId}`);
    expect(pending.status).toBe('pending');
    expect(await wallet(user.userId)).toEqual({ balance: 357, held: 143 });
    const result = await verificationService.reconcilePending({ olderThanMs: 0 });
    expect(result.activated).toBeGreaterThanOrEqual(1);
    const active = await read(user, pending.id);
    expect(active.status).toBe('active');
    // One purchase upstream: the retry carried the same Idempotency-Key and was replayed.
    const creates = sandbox.control
      .requests()
      .filter(
        (r) =>
          r.method === 'POST' &&
          r.path === '/api/pub/v2/verifications' &&
          r.idempotencyKey === `nmk-ver-${pending.id}`,
      );
    expect(creates.length).toBe(2);
    const providerId = await providerIdOf(pending.id);
    expect(sandbox.control.verification(providerId)).toBeDefined();

    // The client's retry of the same request replays the stored answer.
    const replay = await buy(
      user,
      { service: 'whatsapp', country: 'US' },
      { 'idempotency-key': `timeout-${user.userId}` },
    );
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(await wallet(user.userId)).toEqual({ balance: 357, held: 143 });
    await expectLedgerOk();
  });

  it('a retried purchase whose first try got 503 answers that failure again, never 201', async () => {
    const user = await fundedUser(500);
    const key = `broke-${user.userId}`;
    const balance = sandbox.control.getBalance();
    sandbox.control.setBalance(0); // our provider account is empty: the create is refused (503)
    let first;
    try {
      first = await buy(user, { service: 'whatsapp', country: 'US' }, { 'idempotency-key': key });
    } finally {
      sandbox.control.setBalance(balance);
    }
    expect(first.statusCode, first.body).toBe(503);
    const error = first.json<{ error: { code: string; details: { verificationId: string } } }>().error;
    expect(error.code).toBe('provider_unavailable');

    const replay = await buy(user, { service: 'whatsapp', country: 'US' }, { 'idempotency-key': key });
    expect(replay.statusCode, replay.body).toBe(503);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(
      replay.json<{ error: { code: string; details: { verificationId: string } } }>().error,
    ).toMatchObject({
      code: 'provider_unavailable',
      details: { verificationId: error.details.verificationId },
    });
    expect(await read(user, error.details.verificationId)).toMatchObject({
      status: 'failed',
      failureCode: 'provider_unavailable',
    });
    // The replay bought nothing: one create upstream for this order, and the money is all back.
    const creates = sandbox.control
      .requests()
      .filter((r) => r.idempotencyKey === `nmk-ver-${error.details.verificationId}`);
    expect(creates).toHaveLength(1);
    expect(await wallet(user.userId)).toEqual({ balance: 500, held: 0 });
    await expectLedgerOk();
  });

  it('a refused create found by the reconciler → failed and released', async () => {
    const user = await fundedUser(500);
    sandbox.control.injectFault({ path: '/api/pub/v2/verifications', method: 'POST', mode: 'error' }); // 500 before effect: ambiguous
    const response = await buy(user);
    expect(response.statusCode).toBe(202);
    const id = response.json<VerificationView>().id;
    sandbox.control.setStock('whatsapp', 0);
    try {
      await verificationService.reconcilePending({ olderThanMs: 0 });
    } finally {
      sandbox.control.setStock('whatsapp', 1_000_000);
    }
    expect(await read(user, id)).toMatchObject({ status: 'failed', failureCode: 'out_of_stock' });
    expect(await wallet(user.userId)).toEqual({ balance: 500, held: 0 });
  });
});

describe('rules', () => {
  it('uses the free credit first, and gives it back on cancel', async () => {
    const user = testPrincipal({ tier: 'freemium' });
    // The free verification every new account gets (SIGNUP_CREDIT_CURRENCY).
    await db.transaction((tx) => ledger.openAccountWallets(tx, user.userId));
    const view = await bought(user);
    expect(view.price).toEqual({ amount: 1, currency: 'CREDIT' });
    expect(await ledger.walletSummary(db, user.userId, 'CREDIT')).toEqual({ balance: 0, held: 1 });
    await app.inject({
      method: 'POST',
      url: `/api/v1/verifications/${view.id}/cancel`,
      headers: asPrincipal(user),
    });
    expect(await ledger.walletSummary(db, user.userId, 'CREDIT')).toEqual({ balance: 1, held: 0 });
    // Without credit or money: 402.
    const broke = await buy(testPrincipal({ tier: 'freemium' }));
    expect(broke.statusCode).toBe(402);
    expect(broke.json<{ error: { code: string } }>().error.code).toBe('insufficient_funds');
  });

  it('gates options by tier, honours maxPrice, the active-order limit and the purchase rate', async () => {
    const freemium = await fundedUser(10_000, 'freemium');
    const gated = await buy(freemium, { service: 'whatsapp', country: 'US', areaCodes: ['415'] });
    expect(gated.statusCode).toBe(403);
    expect(gated.json<{ error: { code: string } }>().error.code).toBe('tier_required');
    const voice = await buy(freemium, { service: 'whatsapp', country: 'US', capability: 'voice' });
    expect(voice.json<{ error: { code: string } }>().error.code).toBe('tier_required');

    const payg = await fundedUser(10_000);
    const tooCheap = await buy(payg, { service: 'whatsapp', country: 'US', maxPrice: 142 });
    expect(tooCheap.statusCode).toBe(409);
    expect(tooCheap.json<{ error: { code: string } }>().error.code).toBe('price_changed');
    const withOptions = await bought(payg, {
      service: 'whatsapp',
      country: 'US',
      areaCodes: ['415'],
      carrier: 'tmo',
      maxPrice: 300,
    });
    // The provider charges 0.95 + 0.10 (area code) + 0.10 (carrier) = 1.15 × 1.5 = 172.5 → 173; + 25 + 50 payg surcharges.
    expect(withOptions.price.amount).toBe(173 + 25 + 50);
    expect(withOptions.phoneNumber).toMatch(/^\+1415/);

    // Freemium: 3 open orders at most, 5 purchase attempts a minute.
    const limited = await fundedUser(10_000, 'freemium');
    for (let i = 0; i < 3; i++) await bought(limited);
    for (let i = 0; i < 2; i++) {
      const over = await buy(limited);
      expect(over.statusCode).toBe(409);
      expect(over.json<{ error: { code: string } }>().error.code).toBe('active_limit_reached');
    }
    const sixth = await buy(limited);
    expect(sixth.statusCode).toBe(429);
    expect(sixth.json<{ error: { code: string } }>().error.code).toBe('rate_limited');
  });

  it('no route lets a client set a status; another user gets 404', async () => {
    const owner = await fundedUser(500);
    const view = await bought(owner);
    const smuggled = await buy(owner, { service: 'whatsapp', country: 'US', status: 'completed' });
    expect(smuggled.statusCode).toBe(400);
    for (const method of ['PATCH', 'PUT', 'DELETE'] as const) {
      const response = await app.inject({
        method,
        url: `/api/v1/verifications/${view.id}`,
        headers: asPrincipal(owner),
        payload: { status: 'completed' },
      });
      expect(response.statusCode).toBe(404);
    }
    for (const path of ['complete', 'expire', 'fail', 'status', 'timeout', 'received']) {
      const response = await app.inject({
        method: 'POST',
        url: `/api/v1/verifications/${view.id}/${path}`,
        headers: asPrincipal(owner),
        payload: {},
      });
      expect(response.statusCode).toBe(404);
    }
    expect((await read(owner, view.id)).status).toBe('active');

    const stranger = testPrincipal();
    expect(
      (await app.inject({ url: `/api/v1/verifications/${view.id}`, headers: asPrincipal(stranger) }))
        .statusCode,
    ).toBe(404);
    for (const action of ['cancel', 'report']) {
      const response = await app.inject({
        method: 'POST',
        url: `/api/v1/verifications/${view.id}/${action}`,
        headers: asPrincipal(stranger),
      });
      expect(response.statusCode).toBe(404);
    }
    expect(
      (await app.inject({ url: `/api/v1/verifications/${view.id}/events`, headers: asPrincipal(stranger) }))
        .statusCode,
    ).toBe(404);
    expect((await app.inject({ url: `/api/v1/verifications/${view.id}` })).statusCode).toBe(401);
    expect((await read(owner, view.id)).status).toBe('active');
  });

  it('lists history with status filters and cursor pagination', async () => {
    const user = await fundedUser(2_000);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await bought(user)).id);
    await app.inject({
      method: 'POST',
      url: `/api/v1/verifications/${ids[0]}/cancel`,
      headers: asPrincipal(user),
    });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { data: VerificationView[]; nextCursor: string | null } = (
        await app.inject({
          url: `/api/v1/verifications?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
          headers: asPrincipal(user),
        })
      ).json();
      seen.push(...page.data.map((v) => v.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
    const canceled = await app.inject({
      url: '/api/v1/verifications?status=canceled',
      headers: asPrincipal(user),
    });
    expect(canceled.json<{ data: VerificationView[] }>().data.map((v) => v.id)).toEqual([ids[0]]);
    const bad = await app.inject({ url: '/api/v1/verifications?status=hacked', headers: asPrincipal(user) });
    expect(bad.statusCode).toBe(400);
  });
});

describe('concurrency', () => {
  it('1000 concurrent purchases on a wallet that can afford 300 → exactly 300 succeed, the rest 402', async () => {
    await app.services.tiers.update('custom', { maxActiveOrders: 100_000, purchaseRatePerMinute: 100_000 });
    try {
      const user = testPrincipal({ tier: 'custom' });
      // custom: 0.95 × 1.5 = 143 × 0.75 = 107.25 → 108 cents.
      await fund(user.userId, 300 * 108);
      const responses = await Promise.all(Array.from({ length: 1000 }, () => buy(user)));
      const byStatus = new Map<number, number>();
      for (const r of responses) byStatus.set(r.statusCode, (byStatus.get(r.statusCode) ?? 0) + 1);
      expect(Object.fromEntries(byStatus)).toEqual({ 201: 300, 402: 700 });
      expect(
        responses
          .filter((r) => r.statusCode === 402)
          .every((r) => r.json<{ error: { code: string } }>().error.code === 'insufficient_funds'),
      ).toBe(true);
      expect(await wallet(user.userId)).toEqual({ balance: 0, held: 300 * 108 });
      await expectLedgerOk();
    } finally {
      await app.services.tiers.update('custom', { maxActiveOrders: 100, purchaseRatePerMinute: 120 });
    }
  }, 180_000);
});

describe('OpenAPI', () => {
  interface JsonSchema {
    properties?: Record<string, JsonSchema>;
    items?: JsonSchema;
    required?: string[];
  }
  type Responses = Record<string, { content?: Record<string, { schema: JsonSchema }> }>;

  it('documents the shapes the verification routes answer with', async () => {
    const doc = (await app.inject({ url: '/api/openapi.json' })).json<{
      paths: Record<string, Record<string, { responses: Responses }>>;
    }>();
    const schemaOf = (path: string, method: string, status: string): JsonSchema => {
      const schema = doc.paths[path]?.[method]?.responses[status]?.content?.['application/json']?.schema;
      if (!schema) throw new Error(`${method} ${path} has no ${status} response schema`);
      return schema;
    };

    // What a user actually gets back is what the document promises, field for field.
    const user = await fundedUser(1_000);
    const view = await bought(user);
    sandbox.control.deliverSms(await providerIdOf(view.id), { code: '123456' });
    const read = await eventually(async () => {
      const v = await app.inject({ url: `/api/v1/verifications/${view.id}`, headers: asPrincipal(user) });
      const body = v.json<VerificationView>();
      return body.messages?.length ? body : undefined;
    });
    const single = schemaOf('/api/v1/verifications/{id}', 'get', '200');
    expect(Object.keys(single.properties!).sort()).toEqual(Object.keys(read).sort());
    expect(Object.keys(single.properties!.messages!.items!.properties!).sort()).toEqual(
      Object.keys(read.messages![0]!).sort(),
    );
    const withoutMessages = Object.keys(view).sort();
    expect([...single.required!].sort()).toEqual(withoutMessages);

    for (const status of ['201', '202']) {
      expect(Object.keys(schemaOf('/api/v1/verifications', 'post', status).properties!).sort()).toEqual(
        Object.keys(single.properties!).sort(),
      );
    }
    const list = schemaOf('/api/v1/verifications', 'get', '200');
    expect(Object.keys(list.properties!).sort()).toEqual(['data', 'nextCursor']);
    expect(list.properties!.data!.items!.required).toEqual(single.required);
    for (const action of ['cancel', 'report']) {
      expect(schemaOf(`/api/v1/verifications/{id}/${action}`, 'post', '200').required).toEqual(
        single.required,
      );
    }
    const refused = schemaOf('/api/v1/verifications', 'post', '4XX');
    expect(Object.keys(refused.properties!.error!.properties!)).toEqual(
      expect.arrayContaining(['code', 'message']),
    );
  });
});
