/**
 * A hostile user against the real HTTP API: real accounts (register → confirm → login), the real
 * Paystack and TextVerified clients against their sandboxes, PostgreSQL and Redis. Each test is an
 * attack and asserts the defence holds (and, where money is involved, that the ledger still adds up).
 */
import { eventually } from './support/eventually.js';
import { smsReceivedWebhookBody } from './support/textverified.js';
import type { LightMyRequestResponse } from 'fastify';
import { Redis } from 'ioredis';
import { SignJWT } from 'jose';
import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEND_ACCOUNT_MAIL, defineAccountsJobs, deriveKey } from '../src/modules/accounts/index.js';
import { checkLedgerInvariants } from '../src/modules/ledger/index.js';
import { Jobs } from '../src/platform/jobs.js';
import { createLogger } from '../src/platform/logger.js';
import { type MailMessage, type Mailer, createMailer } from '../src/platform/mail/mailer.js';
import { createPaystackClient, signWebhookBody as signPaystack } from '../src/providers/paystack/index.js';
import {
  createTextVerifiedClient,
  signWebhookBody as signTextVerified,
} from '../src/providers/textverified/index.js';
import { startPaystackSandbox, type PaystackSandbox } from '../src/sandbox/paystack/index.js';
import { type SmtpCatcher, startSmtpCatcher } from '../src/sandbox/smtp/catcher.js';
import { startTextVerifiedSandbox, type TextVerifiedSandbox } from '../src/sandbox/textverified/index.js';
import { type TestApp, createTestApp, testConfig } from './support/app.js';
import { PASSWORD, type RealUser, as, nextIp, signUp } from './support/attacker.js';
import { solveCaptcha } from './support/captcha.js';
import { type TestDatabase, createPostgresTestDatabase } from './support/database.js';
import { TEST_REDIS_URL } from './support/services.js';
import { type Stream, openStream } from './support/sse.js';

const PAYSTACK_SECRET = 'sk_test_attack_suite_secret_0123456789';
const TV_SECRET = 'whsec_attack_suite_secret';
const PUBLIC_URL = 'http://namaskah.test';
/** WhatsApp costs 0.95 upstream × 1.5 markup = 143 cents for payg. */
const WHATSAPP_PRICE = 143;

let testDb: TestDatabase;
let redis: Redis;
let catcher: SmtpCatcher;
let paystack: PaystackSandbox;
let textVerified: TextVerifiedSandbox;
let app: TestApp;
/** Alice is the victim, Bob the attacker; both confirmed, on payg (API keys allowed), funded. */
let alice: RealUser;
let bob: RealUser;

beforeAll(async () => {
  testDb = await createPostgresTestDatabase(20);
  redis = new Redis(TEST_REDIS_URL);
  catcher = await startSmtpCatcher();
  paystack = await startPaystackSandbox({ secretKey: PAYSTACK_SECRET, webhookRetryDelaysMs: [50] });
  textVerified = await startTextVerifiedSandbox({
    apiKey: 'tv-key',
    username: 'ops@namaskah.test',
    webhookSecret: TV_SECRET,
    smsDelayMs: 3_600_000, // SMS only on command
    maxUnfinished: 1_000_000,
    balanceCents: 1_000_000_000,
  });
  textVerified.control.setStock('whatsapp', 1_000_000);
  app = await createTestApp({
    database: testDb.database,
    redis,
    providers: {
      mailer: createMailer({ smtpUrl: catcher.smtpUrl, from: 'Namaskah <no-reply@namaskah.test>' }),
      paystack: createPaystackClient({ baseUrl: paystack.url, secretKey: PAYSTACK_SECRET, timeoutMs: 3000 }),
      textVerified: createTextVerifiedClient({
        baseUrl: textVerified.url,
        apiKey: 'tv-key',
        username: 'ops@namaskah.test',
        timeoutMs: 3000,
      }),
    },
    env: { PAYSTACK_SECRET_KEY: PAYSTACK_SECRET, TEXTVERIFIED_WEBHOOK_SECRET: TV_SECRET, PUBLIC_URL },
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  paystack.control.setWebhookUrl(`${url}/api/v1/hooks/paystack`);
  textVerified.control.setWebhook(`${url}/api/v1/hooks/textverified`);

  [alice, bob] = await Promise.all([signUp(app, catcher), signUp(app, catcher)]);
  for (const user of [alice, bob]) await app.services.accounts.setUserTier(user.userId, 'payg');
  // Both use up their one free verification, then fund the wallet for real.
  await Promise.all([spendFreeCredit(alice), spendFreeCredit(bob)]);
  await Promise.all([topUp(alice, 2_000), topUp(bob, 2_000)]);
}, 90_000);

afterAll(async () => {
  await app?.close();
  await paystack?.close();
  await textVerified?.close();
  await catcher?.close();
  redis?.disconnect();
  await testDb?.dispose();
});

// ---- helpers ---------------------------------------------------------------------------------

interface TopupBody {
  reference: string;
  status: string;
  amount: { amount: number; currency: string };
}
interface VerificationBody {
  id: string;
  status: string;
  price: { amount: number; currency: string };
}

async function wallet(user: RealUser): Promise<{ balance: number; held: number; free: number }> {
  const response = await as(app, user, { method: 'GET', url: '/api/v1/wallet' });
  expect(response.statusCode, response.body).toBe(200);
  const body = response.json<{
    balance: { amount: number };
    held: { amount: number };
    includedUsage: { freeVerifications: number };
  }>();
  return { balance: body.balance.amount, held: body.held.amount, free: body.includedUsage.freeVerifications };
}

const initTopup = (user: RealUser, payload: unknown, headers: Record<string, string> = {}) =>
  as(app, user, { method: 'POST', url: '/api/v1/wallet/topups', payload: payload as object, headers });

async function initialized(user: RealUser, amount: number): Promise<TopupBody> {
  const response = await initTopup(user, { amount });
  expect(response.statusCode, response.body).toBe(201);
  return response.json<TopupBody>();
}

/** A real top-up: initialize, the customer pays at Paystack, the signed webhook credits. */
async function topUp(user: RealUser, amount: number) {
  const before = (await wallet(user)).balance;
  const topup = await initialized(user, amount);
  paystack.control.pay(topup.reference);
  await eventually(async () => ((await wallet(user)).balance === before + amount ? true : undefined));
  return topup;
}

async function buy(user: RealUser, payload: object = { service: 'whatsapp', country: 'US' }) {
  const response = await as(app, user, { method: 'POST', url: '/api/v1/verifications', payload });
  expect(response.statusCode, response.body).toBe(201);
  return response.json<VerificationBody>();
}

/** The sign-up credit is spent by a completed verification (a cancel would give it back). */
async function spendFreeCredit(user: RealUser) {
  const order = await buy(user);
  textVerified.control.deliverSms(await providerIdOf(order.id), { code: '135790' });
  await eventually(async () => ((await wallet(user)).free === 0 ? true : undefined));
}

async function providerIdOf(id: string): Promise<string> {
  const result = await testDb.database.sql.query('select provider_id from verifications where id = $1', [id]);
  return (result.rows[0] as { provider_id: string }).provider_id;
}

async function expectLedgerOk() {
  const report = await checkLedgerInvariants(testDb.database.db);
  expect(report.violations).toEqual([]);
  expect(report.ok).toBe(true);
}

const LEAKS = [
  /\/work\//,
  /node_modules/,
  /\.ts:\d+/,
  /\bat \w+ \(/,
  /\bselect\b.*\bfrom\b/i,
  /postgres/i,
  /drizzle/i,
  /stack/i,
];
const SECRETS = [PAYSTACK_SECRET, TV_SECRET, testConfig().appSecret];

/** A refusal an attacker may see: the status wanted, JSON `{error:{code,message}}`, nothing internal. */
function expectCleanError(response: LightMyRequestResponse, statuses: number[]) {
  expect(statuses, `${response.statusCode} ${response.body}`).toContain(response.statusCode);
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  const body = response.json<{ error: { code: string; message: string } }>();
  expect(typeof body.error.code).toBe('string');
  expect(typeof body.error.message).toBe('string');
  for (const leak of LEAKS) expect(response.body).not.toMatch(leak);
  for (const secret of SECRETS) expect(response.body).not.toContain(secret);
}

// ---- IDOR ------------------------------------------------------------------------------------

describe('IDOR: another user’s objects are 404, never 403, and never listed', () => {
  it('verifications: read, cancel, report, SSE and lists', async () => {
    const order = await buy(alice);
    const before = await wallet(alice);
    const unknown = '00000000-0000-4000-8000-000000000000';
    const notFoundBody = (await as(app, bob, { method: 'GET', url: `/api/v1/verifications/${unknown}` }))
      .body;

    for (const [method, path] of [
      ['GET', ''],
      ['GET', '/events'],
      ['POST', '/cancel'],
      ['POST', '/report'],
    ] as const) {
      const response = await as(app, bob, { method, url: `/api/v1/verifications/${order.id}${path}` });
      expectCleanError(response, [404]);
      expect(response.json().error.code).toBe('not_found');
      // Same answer as for an id that does not exist: nothing tells Bob that Alice's order exists.
      if (path === '') expect(response.body).toBe(notFoundBody);
    }
    const list = await as(app, bob, { method: 'GET', url: '/api/v1/verifications?limit=100' });
    expect(list.statusCode).toBe(200);
    expect(list.body).not.toContain(order.id);
    const statuses = await as(app, bob, {
      method: 'GET',
      url: '/api/v1/verifications?status=active,pending,completed,canceled,expired,failed&service=whatsapp',
    });
    expect(statuses.body).not.toContain(order.id);

    // Alice's order is untouched and still hers.
    const mine = await as(app, alice, { method: 'GET', url: `/api/v1/verifications/${order.id}` });
    expect(mine.json<VerificationBody>().status).toBe('active');
    expect(await wallet(alice)).toEqual(before);
  });

  it('top-ups: by reference, list, statement; the browser callback reveals only a status', async () => {
    const topup = await initialized(alice, 300);
    const response = await as(app, bob, { method: 'GET', url: `/api/v1/wallet/topups/${topup.reference}` });
    expectCleanError(response, [404]);
    const ghost = await as(app, bob, {
      method: 'GET',
      url: `/api/v1/wallet/topups/nmk-tu-${'a'.repeat(24)}`,
    });
    expect(ghost.body).toBe(response.body);
    const list = await as(app, bob, { method: 'GET', url: '/api/v1/wallet/topups?limit=100' });
    expect(list.statusCode).toBe(200);
    expect(list.body).not.toContain(topup.reference);
    const statement = await as(app, bob, { method: 'GET', url: '/api/v1/wallet/statement?limit=100' });
    expect(statement.statusCode).toBe(200);
    for (const line of statement.json<{ data: { reference: string | null }[] }>().data) {
      if (line.reference?.startsWith('nmk-tu-')) {
        const own = await as(app, bob, { method: 'GET', url: `/api/v1/wallet/topups/${line.reference}` });
        expect(own.statusCode).toBe(200);
      }
    }
    expect(statement.body).not.toContain(alice.userId);
    // The unauthenticated callback settles with Paystack (nothing paid yet) and redirects: no data.
    const callback = await app.inject({
      method: 'GET',
      url: `/api/v1/wallet/topups/callback?reference=${topup.reference}`,
      remoteAddress: bob.ip,
    });
    expect(callback.statusCode).toBe(302);
    expect(callback.headers.location).toBe(`/wallet?topup=${topup.reference}&status=pending`);
    // And it is no open redirect, whatever reference it is handed.
    for (const reference of [
      'https://evil.example/',
      '//evil.example',
      '/\\evil.example',
      'javascript:alert(1)',
    ]) {
      const response = await app.inject({
        method: 'GET',
        url: `/api/v1/wallet/topups/callback?reference=${encodeURIComponent(reference)}`,
        remoteAddress: nextIp(),
      });
      if (response.statusCode === 302) expect(response.headers.location).toBe('/wallet?status=unknown');
      else expectCleanError(response, [400, 403]);
    }
  });

  it('sessions and API keys of another user are 404 and never listed', async () => {
    const sessions = await as(app, alice, { method: 'GET', url: '/api/v1/sessions' });
    const aliceSession = sessions.json<{ data: { id: string }[] }>().data[0]!.id;
    const revoke = await as(app, bob, { method: 'DELETE', url: `/api/v1/sessions/${aliceSession}` });
    expectCleanError(revoke, [404]);
    const bobSessions = await as(app, bob, { method: 'GET', url: '/api/v1/sessions' });
    expect(bobSessions.body).not.toContain(aliceSession);

    const made = await as(app, alice, {
      method: 'POST',
      url: '/api/v1/api-keys',
      payload: { name: 'alice', scopes: ['account:read'] },
    });
    expect(made.statusCode, made.body).toBe(201);
    const key = made.json<{ id: string; key: string; prefix: string }>();
    const steal = await as(app, bob, { method: 'DELETE', url: `/api/v1/api-keys/${key.id}` });
    expectCleanError(steal, [404]);
    const bobKeys = await as(app, bob, { method: 'GET', url: '/api/v1/api-keys' });
    expect(bobKeys.body).not.toContain(key.id);
    expect(bobKeys.body).not.toContain(key.prefix);
    // Alice's session and key still work.
    expect((await as(app, alice, { method: 'GET', url: '/api/v1/me' })).statusCode).toBe(200);
    const withKey = await as(app, null, {
      method: 'GET',
      url: '/api/v1/me',
      headers: { authorization: `Bearer ${key.key}` },
    });
    expect(withKey.json<{ id: string }>().id).toBe(alice.userId);
    await as(app, alice, { method: 'DELETE', url: `/api/v1/api-keys/${key.id}` });
  });
});

// ---- money minting ---------------------------------------------------------------------------

describe('money minting through top-ups', () => {
  it('refuses every non-integer, out-of-range or non-number amount and creates nothing', async () => {
    const before = await wallet(bob);
    const rowsBefore = await testDb.database.sql.query(
      'select count(*)::int as n from payment_topups where user_id = $1',
      [bob.userId],
    );
    for (const amount of [
      -100,
      0,
      1.5,
      99.99,
      '1e9',
      '500',
      1e9,
      2 ** 53,
      Number.MAX_SAFE_INTEGER,
      99,
      100_001,
      null,
      true,
      [500],
      { amount: 500 },
    ]) {
      const response = await initTopup(bob, { amount });
      expectCleanError(response, [400]);
      expect(response.json().error.code).toBe('validation_failed');
    }
    for (const currency of ['XYZ', 'usd', 'EUR', '', 1]) {
      expectCleanError(await initTopup(bob, { amount: 500, currency }), [400]);
    }
    // A JSON number too large for a double, and a duplicate key trying to sneak a big one in.
    for (const raw of ['{"amount":1e400}', '{"amount":500,"amount":100000000}', '{"amount":-0}']) {
      const response = await as(app, bob, {
        method: 'POST',
        url: '/api/v1/wallet/topups',
        headers: { 'content-type': 'application/json' },
        payload: raw,
      });
      expectCleanError(response, [400]);
    }
    const rowsAfter = await testDb.database.sql.query(
      'select count(*)::int as n from payment_topups where user_id = $1',
      [bob.userId],
    );
    expect(rowsAfter.rows[0]).toEqual(rowsBefore.rows[0]);
    expect(await wallet(bob)).toEqual(before);
  });

  it('ignores client metadata, userId and status: the server row decides amount and owner', async () => {
    const bobBefore = await wallet(bob);
    const aliceBefore = await wallet(alice);
    const response = await initTopup(bob, {
      amount: 100,
      metadata: { amount: 9_999_999, namaskah_amount: 9_999_999, userId: alice.userId },
      userId: alice.userId,
      status: 'succeeded',
      charge: { amount: 1, currency: 'USD' },
    });
    expect(response.statusCode, response.body).toBe(201);
    const topup = response.json<TopupBody>();
    expect(topup.amount).toEqual({ amount: 100, currency: 'USD' });
    expect(topup.status).toBe('initialized');
    // Paystack was asked for exactly 100, and the row is Bob's.
    expect(paystack.control.transaction(topup.reference)).toMatchObject({ amount: 100, currency: 'USD' });
    const owner = await testDb.database.sql.query('select user_id from payment_topups where reference = $1', [
      topup.reference,
    ]);
    expect(owner.rows[0]).toEqual({ user_id: bob.userId });
    paystack.control.pay(topup.reference);
    await eventually(async () =>
      (await wallet(bob)).balance === bobBefore.balance + 100 ? true : undefined,
    );
    await paystack.control.settled();
    expect(await wallet(alice)).toEqual(aliceBefore);
    await expectLedgerOk();
  });

  it('a replayed, re-targeted, forged or wrong-key webhook credits nothing more', async () => {
    const paid = await topUp(bob, 200);
    await paystack.control.settled();
    const delivered = paystack.control.webhooks().find((w) => w.reference === paid.reference)!;
    const unpaid = await initialized(bob, 5_000);
    const before = await wallet(bob);
    const post = (body: string, signature: string | undefined) =>
      app.inject({
        method: 'POST',
        url: '/api/v1/hooks/paystack',
        remoteAddress: bob.ip,
        headers: {
          'content-type': 'application/json',
          ...(signature === undefined ? {} : { 'x-paystack-signature': signature }),
        },
        payload: body,
      });

    // Replay of the captured body: accepted (signed) but already settled.
    expect((await post(delivered.body, delivered.signature!)).statusCode).toBe(200);
    // The captured body re-pointed at the unpaid reference, with the captured signature.
    const retargeted = delivered.body.replaceAll(paid.reference, unpaid.reference);
    expectCleanError(await post(retargeted, delivered.signature!), [401]);
    // Signed with a wrong key, with no signature, with garbage.
    expectCleanError(await post(retargeted, signPaystack(retargeted, 'sk_test_guess')), [401]);
    expectCleanError(await post(retargeted, signPaystack(retargeted, '')), [401]);
    expectCleanError(await post(retargeted, undefined), [401]);
    expectCleanError(await post(retargeted, 'f'.repeat(128)), [401]);
    expectCleanError(await post(retargeted, `sha512=${signPaystack(retargeted, PAYSTACK_SECRET)}x`), [401]);
    // Even a correctly signed event (a leaked key, say) only makes us ask Paystack: not paid → nothing.
    const forged = JSON.stringify({
      event: 'charge.success',
      data: { id: 1, status: 'success', reference: unpaid.reference, amount: 5_000, currency: 'USD' },
    });
    expect((await post(forged, signPaystack(forged, PAYSTACK_SECRET))).statusCode).toBe(200);
    // The sandbox's own redelivery of the paid one, many times at once.
    await paystack.control.resendWebhook(paid.reference, 5);
    expect(await wallet(bob)).toEqual(before);
    const unpaidView = await as(app, bob, {
      method: 'GET',
      url: `/api/v1/wallet/topups/${unpaid.reference}`,
    });
    expect(unpaidView.json<TopupBody>().status).toBe('initialized');
    await expectLedgerOk();
  });

  it('a signed webhook naming the victim’s reference credits the victim, by the row, once', async () => {
    const victimTopup = await initialized(alice, 400);
    const aliceBefore = await wallet(alice);
    const bobBefore = await wallet(bob);
    // Alice pays; Bob (who learnt the reference) races a signed event claiming it is his and larger.
    paystack.control.pay(victimTopup.reference, { sendWebhook: false });
    const forged = JSON.stringify({
      event: 'charge.success',
      data: {
        id: 2,
        status: 'success',
        reference: victimTopup.reference,
        amount: 10_000_000,
        currency: 'USD',
        customer: { email: bob.email },
        metadata: { userId: bob.userId, topupId: 'x', amount: 10_000_000 },
      },
    });
    await Promise.all([
      app.inject({
        method: 'POST',
        url: '/api/v1/hooks/paystack',
        headers: {
          'content-type': 'application/json',
          'x-paystack-signature': signPaystack(forged, PAYSTACK_SECRET),
        },
        payload: forged,
      }),
      paystack.control.resendWebhook(victimTopup.reference, 3),
      ...Array.from({ length: 3 }, () =>
        app.inject({
          method: 'GET',
          url: `/api/v1/wallet/topups/callback?reference=${victimTopup.reference}`,
          remoteAddress: nextIp(),
        }),
      ),
    ]);
    expect((await wallet(alice)).balance).toBe(aliceBefore.balance + 400);
    expect(await wallet(bob)).toEqual(bobBefore);
    const credits = await testDb.database.sql.query(
      `select count(*)::int as n from ledger_transactions where idempotency_key = $1`,
      [`topup:${victimTopup.reference}`],
    );
    expect(credits.rows[0]).toEqual({ n: 1 });
    await expectLedgerOk();
  });

  it('paying less than initialized is flagged, never credited', async () => {
    const topup = await initialized(bob, 1_000);
    const before = await wallet(bob);
    paystack.control.pay(topup.reference, { amountMinor: 100 });
    await paystack.control.settled();
    const view = await eventually(async () => {
      const r = await as(app, bob, { method: 'GET', url: `/api/v1/wallet/topups/${topup.reference}` });
      return r.json<TopupBody>().status === 'flagged' ? r.json<TopupBody>() : undefined;
    });
    expect(view.status).toBe('flagged');
    expect(await wallet(bob)).toEqual(before);
    await expectLedgerOk();
  });
});

// ---- client-set state ------------------------------------------------------------------------

describe('client-set state and prices', () => {
  it('no client route moves a verification: PATCH/PUT/DELETE and made-up actions are 404', async () => {
    const order = await buy(bob);
    const before = await wallet(bob);
    for (const [method, path] of [
      ['PATCH', ''],
      ['PUT', ''],
      ['DELETE', ''],
      ['POST', ''],
      ['POST', '/complete'],
      ['POST', '/timeout'],
      ['POST', '/error'],
      ['POST', '/refund'],
      ['POST', '/status'],
      ['PUT', '/status'],
    ] as const) {
      const response = await as(app, bob, {
        method,
        url: `/api/v1/verifications/${order.id}${path}`,
        payload: { status: 'completed', code: '123456', refund: true },
      });
      expectCleanError(response, [404, 405]);
    }
    const after = await as(app, bob, { method: 'GET', url: `/api/v1/verifications/${order.id}` });
    expect(after.json<VerificationBody>().status).toBe('active');
    expect(await wallet(bob)).toEqual(before);
    // A completed order cannot be canceled (no refund after success).
    textVerified.control.deliverSms(await providerIdOf(order.id), { code: '482913' });
    await eventually(async () => {
      const r = await as(app, bob, { method: 'GET', url: `/api/v1/verifications/${order.id}` });
      return r.json<VerificationBody>().status === 'completed' ? true : undefined;
    });
    const cancel = await as(app, bob, { method: 'POST', url: `/api/v1/verifications/${order.id}/cancel` });
    expectCleanError(cancel, [409]);
    // Reporting a used number refunds nothing, and however often it is pressed, reaches the provider once.
    const providerId = await providerIdOf(order.id);
    for (let i = 0; i < 3; i++) {
      const report = await as(app, bob, { method: 'POST', url: `/api/v1/verifications/${order.id}/report` });
      expect(report.json<VerificationBody>().status).toBe('completed');
    }
    const upstreamReports = textVerified.control
      .requests()
      .filter((r) => r.method === 'POST' && r.path === `/api/pub/v2/verifications/${providerId}/report`);
    expect(upstreamReports).toHaveLength(1);
    expect(await wallet(bob)).toEqual({ ...before, held: before.held - WHATSAPP_PRICE });
    await expectLedgerOk();
  });

  it('reading an SMS whose code the extractor misses, then canceling or reporting, refunds nothing', async () => {
    const order = await buy(bob);
    const before = await wallet(bob);
    // The user reads the link in the text and uses it; no code is detected.
    textVerified.control.deliverSms(await providerIdOf(order.id), {
      text: 'Tap to confirm your WhatsApp account: https://wa.example/confirm/abcdef',
    });
    await eventually(async () => {
      const r = await as(app, bob, { method: 'GET', url: `/api/v1/verifications/${order.id}` });
      return r.json<VerificationBody>().status === 'completed' ? true : undefined;
    });
    const cancel = await as(app, bob, { method: 'POST', url: `/api/v1/verifications/${order.id}/cancel` });
    expectCleanError(cancel, [409]);
    const report = await as(app, bob, { method: 'POST', url: `/api/v1/verifications/${order.id}/report` });
    expect(report.json<VerificationBody>().status).toBe('completed');
    expect(await wallet(bob)).toEqual({ ...before, held: before.held - WHATSAPP_PRICE });
    await expectLedgerOk();
  });

  it('purchase bodies cannot set status or price; maxPrice below the price is 409 and charges nothing', async () => {
    const before = await wallet(bob);
    const base = { service: 'whatsapp', country: 'US' };
    for (const extra of [
      { status: 'completed' },
      { price: 1 },
      { price: { amount: 1, currency: 'USD' } },
      { userId: alice.userId },
      { maxPrice: -1 },
      { maxPrice: 1.5 },
      { maxPrice: '1000' },
      { maxPrice: 2 ** 53 },
      { capability: 'free' },
      { areaCodes: ["1' or 1=1--"] },
    ]) {
      const response = await as(app, bob, {
        method: 'POST',
        url: '/api/v1/verifications',
        payload: { ...base, ...extra },
      });
      expectCleanError(response, [400, 403]);
    }
    for (const body of [
      { service: 'no-such-service', country: 'US' },
      { service: 'whatsapp', country: 'XX' },
      { service: '../../admin', country: 'US' },
    ]) {
      const response = await as(app, bob, { method: 'POST', url: '/api/v1/verifications', payload: body });
      expectCleanError(response, [400, 403, 404, 409, 422]);
    }
    const longKey = await as(app, bob, {
      method: 'POST',
      url: '/api/v1/verifications',
      payload: base,
      headers: { 'idempotency-key': 'k'.repeat(256) },
    });
    expectCleanError(longKey, [400]);
    for (const maxPrice of [0, 1, WHATSAPP_PRICE - 1]) {
      const response = await as(app, bob, {
        method: 'POST',
        url: '/api/v1/verifications',
        payload: { ...base, maxPrice },
      });
      expectCleanError(response, [409]);
      expect(response.json().error.code).toBe('price_changed');
    }
    expect(await wallet(bob)).toEqual(before);
    const exact = await buy(bob, { ...base, maxPrice: WHATSAPP_PRICE });
    expect(exact.price).toEqual({ amount: WHATSAPP_PRICE, currency: 'USD' });
    expect(await wallet(bob)).toEqual({
      ...before,
      balance: before.balance - WHATSAPP_PRICE,
      held: before.held + WHATSAPP_PRICE,
    });
    await as(app, bob, { method: 'POST', url: `/api/v1/verifications/${exact.id}/cancel` });
    await expectLedgerOk();
  });

  it('idempotency keys are per principal: Bob replaying Alice’s key gets his own order, not hers', async () => {
    const key = `attack-${nextIp()}`;
    const payload = { service: 'whatsapp', country: 'US' };
    const headers = { 'idempotency-key': key };
    const first = await as(app, alice, { method: 'POST', url: '/api/v1/verifications', payload, headers });
    expect(first.statusCode, first.body).toBe(201);
    const aliceOrder = first.json<VerificationBody>();
    const bobBefore = await wallet(bob);
    const replay = await as(app, bob, { method: 'POST', url: '/api/v1/verifications', payload, headers });
    expect(replay.statusCode, replay.body).toBe(201);
    expect(replay.headers['idempotent-replayed']).toBeUndefined();
    const bobOrder = replay.json<VerificationBody>();
    expect(bobOrder.id).not.toBe(aliceOrder.id);
    expect(replay.body).not.toContain(alice.userId);
    expect((await wallet(bob)).balance).toBe(bobBefore.balance - WHATSAPP_PRICE);
    // Alice's own replay is a replay; the same key with another body is refused.
    const again = await as(app, alice, { method: 'POST', url: '/api/v1/verifications', payload, headers });
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json<VerificationBody>().id).toBe(aliceOrder.id);
    const reused = await as(app, alice, {
      method: 'POST',
      url: '/api/v1/verifications',
      payload: { ...payload, maxPrice: 1_000 },
      headers,
    });
    expectCleanError(reused, [422]);
    // Bob cancelling Alice's order with a key of his own cancels nothing of hers.
    const cancel = await as(app, bob, {
      method: 'POST',
      url: `/api/v1/verifications/${aliceOrder.id}/cancel`,
      headers: { 'idempotency-key': `${key}-cancel` },
    });
    expectCleanError(cancel, [404]);
    for (const [user, id] of [
      [alice, aliceOrder.id],
      [bob, bobOrder.id],
    ] as const) {
      const done = await as(app, user, { method: 'POST', url: `/api/v1/verifications/${id}/cancel` });
      expect(done.json<VerificationBody>().status).toBe('canceled');
    }
    await expectLedgerOk();
  });
});

// ---- authentication --------------------------------------------------------------------------

describe('authentication attacks', () => {
  const me = (authorization: string) =>
    app.inject({ method: 'GET', url: '/api/v1/me', remoteAddress: nextIp(), headers: { authorization } });

  it('refuses forged JWTs: alg none, empty/guessed keys, other algorithms, swapped sub, bad iss/aud', async () => {
    const [, payload] = alice.accessToken.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const realKey = new Uint8Array(deriveKey(testConfig().appSecret, 'access-jwt-hs256'));
    const sign = (body: Record<string, unknown>, key: Uint8Array, alg = 'HS256') =>
      new SignJWT(body).setProtectedHeader({ alg, typ: 'JWT' }).sign(key);
    const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const forged = [
      `${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`,
      `${b64({ alg: 'NONE' })}.${payload}.`,
      `${b64({ alg: 'HS256' })}.${payload}.`,
      await sign(claims, new Uint8Array(1)),
      await sign(claims, new TextEncoder().encode('secret')),
      await sign(claims, new TextEncoder().encode(testConfig().appSecret)),
      // The right key under another algorithm (algorithm pinning).
      await sign(claims, realKey, 'HS512'),
      // The right key, but Bob's sub with Alice's session (the session is bound to its user).
      await sign({ ...claims, sub: bob.userId }, realKey),
      await sign({ ...claims, sid: '00000000-0000-4000-8000-000000000000' }, realKey),
      await sign({ ...claims, iss: 'someone-else' }, realKey),
      await sign({ ...claims, aud: 'other-api' }, realKey),
      await sign({ ...claims, sub: 42 }, realKey),
    ];
    for (const token of forged) {
      const response = await me(`Bearer ${token}`);
      expectCleanError(response, [401]);
      expect(response.json().error.code).toBe('unauthenticated');
    }
  });

  it('refuses malformed Authorization headers and tampered API keys', async () => {
    await app.services.accounts.setUserTier(bob.userId, 'payg');
    const made = await as(app, bob, {
      method: 'POST',
      url: '/api/v1/api-keys',
      payload: { name: 'bob', scopes: ['account:read', 'verifications:read'] },
    });
    const key = made.json<{ key: string; id: string }>();
    const last = key.key.at(-1)!;
    const changed = `${key.key.slice(0, -1)}${last === 'A' ? 'B' : 'A'}`;
    for (const header of [
      `Bearer ${changed}`,
      `Bearer ${key.key.slice(0, -1)}`,
      `Bearer ${key.key}x`,
      `Bearer ${key.key.toUpperCase()}`,
      `Bearer nmk_live_`,
      `Bearer nmk_${'a'.repeat(5000)}`,
      `Bearer ${alice.accessToken} ${bob.accessToken}`,
      `Bearer a b`,
      'Bearer',
      'Bearer ',
      `Basic ${Buffer.from(`${alice.email}:x`).toString('base64')}`,
      `Token ${alice.accessToken}`,
      `Bearer ${'a'.repeat(10_000)}`,
      `Bearer ${alice.accessToken}\u0000`,
    ]) {
      expectCleanError(await me(header), [401]);
    }
    // The real key works, whatever the case of the scheme's name (RFC 9110 §11.1), and only
    // within its scopes.
    for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
      expect((await me(`${scheme} ${key.key}`)).statusCode, scheme).toBe(200);
    }
    const buyWithKey = await as(app, null, {
      method: 'POST',
      url: '/api/v1/verifications',
      headers: { authorization: `Bearer ${key.key}` },
      payload: { service: 'whatsapp', country: 'US' },
    });
    expectCleanError(buyWithKey, [403]);
    const manageWithKey = await as(app, null, {
      method: 'POST',
      url: '/api/v1/api-keys',
      headers: { authorization: `Bearer ${key.key}` },
      payload: { name: 'escalate', scopes: ['verifications:write'] },
    });
    expectCleanError(manageWithKey, [403]);
    // An API key has no session to end: signing out with one is refused, not a silent 204.
    const logoutWithKey = await as(app, null, {
      method: 'POST',
      url: '/api/v1/auth/logout',
      headers: { authorization: `Bearer ${key.key}` },
      payload: {},
    });
    expectCleanError(logoutWithKey, [403]);
    expect((await me(`Bearer ${key.key}`)).statusCode).toBe(200);
    await as(app, bob, { method: 'DELETE', url: `/api/v1/api-keys/${key.id}` });
  });

  it('an API key without a wallet scope cannot start a top-up', async () => {
    const carol = await signUp(app, catcher);
    await app.services.accounts.setUserTier(carol.userId, 'payg');
    const made = await as(app, carol, {
      method: 'POST',
      url: '/api/v1/api-keys',
      payload: { name: 'reader', scopes: ['account:read'] },
    });
    const key = made.json<{ key: string; id: string }>();
    try {
      const response = await as(app, null, {
        method: 'POST',
        url: '/api/v1/wallet/topups',
        headers: { authorization: `Bearer ${key.key}` },
        payload: { amount: 500 },
      });
      expectCleanError(response, [403]);
      // A key granted `wallet:write` may (the scope is the whole difference).
      const writer = await as(app, carol, {
        method: 'POST',
        url: '/api/v1/api-keys',
        payload: { name: 'writer', scopes: ['wallet:write'] },
      });
      const allowed = await as(app, null, {
        method: 'POST',
        url: '/api/v1/wallet/topups',
        headers: { authorization: `Bearer ${writer.json<{ key: string }>().key}` },
        payload: { amount: 500 },
      });
      expect(allowed.statusCode, allowed.body).toBe(201);
    } finally {
      await as(app, carol, { method: 'DELETE', url: `/api/v1/api-keys/${key.id}` });
    }
  });

  it('cookie sessions need the CSRF header for every state change; a stolen refresh token needs its CSRF too', async () => {
    const cookie = `nmk_access=${alice.cookies.nmk_access}; nmk_csrf=${alice.cookies.nmk_csrf}`;
    const before = await wallet(alice);
    for (const [method, url, payload] of [
      ['POST', '/api/v1/verifications', { service: 'whatsapp', country: 'US' }],
      ['POST', '/api/v1/wallet/topups', { amount: 500 }],
      ['POST', '/api/v1/api-keys', { name: 'csrf', scopes: ['account:read'] }],
      ['POST', '/api/v1/auth/logout', {}],
    ] as const) {
      for (const csrf of [undefined, 'x'.repeat(32), bob.cookies.nmk_csrf!, '']) {
        const response = await as(app, null, {
          method,
          url,
          payload,
          headers: { cookie, ...(csrf === undefined ? {} : { 'x-csrf-token': csrf }) },
        });
        expectCleanError(response, [403]);
        expect(response.json().error.code).toBe('csrf_failed');
      }
    }
    // Alice's refresh cookie with Bob's CSRF pair is refused; the rotation did not happen.
    const refresh = await as(app, null, {
      method: 'POST',
      url: '/api/v1/auth/refresh',
      headers: {
        cookie: `nmk_refresh=${alice.cookies.nmk_refresh}; nmk_csrf=${bob.cookies.nmk_csrf}`,
        'x-csrf-token': alice.cookies.nmk_csrf!,
      },
    });
    expectCleanError(refresh, [403]);
    expect(await wallet(alice)).toEqual(before);
    expect((await as(app, alice, { method: 'GET', url: '/api/v1/me' })).statusCode).toBe(200);
    // A bearer token with a cookie of another user acts as the bearer, never as the cookie's owner.
    const mixed = await as(app, bob, { method: 'GET', url: '/api/v1/me', headers: { cookie } });
    expect(mixed.json<{ id: string }>().id).toBe(bob.userId);
  });

  it('a suspended user’s API key and tokens are refused at once, including money routes', async () => {
    const victim = await signUp(app, catcher);
    await app.services.accounts.setUserTier(victim.userId, 'payg');
    const made = await as(app, victim, {
      method: 'POST',
      url: '/api/v1/api-keys',
      payload: {
        name: 'k',
        scopes: ['account:read', 'verifications:read', 'verifications:write', 'wallet:read'],
      },
    });
    const key = made.json<{ key: string }>().key;
    await app.services.accounts.suspendUser(victim.userId, null, 'attack suite');
    for (const authorization of [`Bearer ${key}`, `Bearer ${victim.accessToken}`]) {
      for (const [method, url] of [
        ['GET', '/api/v1/me'],
        ['GET', '/api/v1/wallet'],
        ['POST', '/api/v1/verifications'],
        ['POST', '/api/v1/wallet/topups'],
      ] as const) {
        const response = await as(app, null, {
          method,
          url,
          headers: { authorization },
          payload: { service: 'whatsapp', country: 'US', amount: 500 },
        });
        expectCleanError(response, [403]);
      }
    }
    const refreshed = await as(app, null, {
      method: 'POST',
      url: '/api/v1/auth/refresh',
      payload: { refreshToken: victim.refreshToken },
    });
    expect([401, 403]).toContain(refreshed.statusCode);
  });

  it('spoofed X-Forwarded-For does not reset per-IP limits (no trusted proxy)', async () => {
    const ip = nextIp();
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const response = await app.inject({
        method: 'POST',
        url: '/api/v1/auth/register',
        remoteAddress: ip,
        headers: { 'x-forwarded-for': nextIp(), 'x-real-ip': nextIp() },
        payload: { email: `xff-${i}-${ip.replaceAll('.', '')}@example.test`, password: 'long enough pass 1' },
      });
      statuses.push(response.statusCode);
    }
    expect(statuses.at(-1)).toBe(429);
  });
});

// ---- lockout, MFA guessing, account enumeration -----------------------------------------------

describe('sign-in lockout, MFA guessing and account enumeration', () => {
  const signIn = (email: string, password: string, ip = nextIp(), extra: Record<string, unknown> = {}) =>
    app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      remoteAddress: ip,
      payload: { email, password, ...extra },
    });

  it('wrong passwords from many addresses never lock the owner out: the right password with a solved captcha gets in', async () => {
    const owner = await signUp(app, catcher);
    // The attacker, from a new address each time and without captchas: three failures, then every
    // attempt on the account needs a captcha. No per-account 429.
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await signIn(owner.email, `wrong guess ${i}`)).statusCode);
    expect(statuses).toEqual([401, 401, 401, ...Array<number>(9).fill(403)]);
    // An attacker who solves captchas fails on: from 10 failures the account's captcha gets harder.
    for (let i = 0; i < 7; i++) {
      const ip = nextIp();
      const guess = await signIn(owner.email, `solved guess ${i}`, ip, {
        captcha: await solveCaptcha(app, ip),
      });
      expect(guess.statusCode).toBe(401);
    }

    const ip = nextIp();
    const asked = await signIn(owner.email, PASSWORD, ip);
    expectCleanError(asked, [403]);
    expect(asked.json().error).toMatchObject({ code: 'captcha_required', details: { captchaLevel: 1 } });
    const tooEasy = await signIn(owner.email, PASSWORD, ip, { captcha: await solveCaptcha(app, ip) });
    expect(tooEasy.json().error).toMatchObject({ code: 'captcha_required', details: { captchaLevel: 1 } });
    const ok = await signIn(owner.email, PASSWORD, ip, { captcha: await solveCaptcha(app, ip, 1) });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json<{ user: { id: string } }>().user.id).toBe(owner.userId);

    // The per-address limit stays: one address gets five sign-ins a minute.
    const attacker = nextIp();
    const fromOne: number[] = [];
    for (let i = 0; i < 6; i++)
      fromOne.push((await signIn(`other-${i}@example.test`, 'wrong password here', attacker)).statusCode);
    expect(fromOne.at(-1)).toBe(429);
  });

  it('an authenticator code cannot be guessed: every TOTP check counts against one small budget per user', async () => {
    const victim = await signUp(app, catcher);
    const setup = await as(app, victim, { method: 'POST', url: '/api/v1/mfa/totp' });
    const { secret } = setup.json<{ secret: string }>();
    const enabled = await as(app, victim, {
      method: 'POST',
      url: '/api/v1/mfa/totp/verify',
      payload: { otp: await generate({ secret }) },
    });
    expect(enabled.statusCode).toBe(200);
    // A stolen session guessing codes to turn MFA off, each guess from another address. The right
    // code at enrolment was no guess: it gave its check back, so five wrong ones fit the budget.
    const guesses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const guess = await as(app, victim, {
        method: 'DELETE',
        url: '/api/v1/mfa/totp',
        payload: { otp: String(100_000 + i) },
      });
      guesses.push(guess.statusCode);
    }
    expect(guesses).toEqual([400, 400, 400, 400, 400, 429]);
    // Out of checks: even the right code, on any route that checks one, waits for the window.
    const next = await generate({ secret, epoch: Math.floor(Date.now() / 1000) + 30 });
    const disable = await as(app, victim, {
      method: 'DELETE',
      url: '/api/v1/mfa/totp',
      payload: { otp: next },
    });
    expectCleanError(disable, [429]);
    expect(disable.headers['retry-after']).toBeDefined();
    expectCleanError(await signIn(victim.email, PASSWORD, nextIp(), { otp: next }), [429]);
    const change = await as(app, victim, {
      method: 'POST',
      url: '/api/v1/auth/password/change',
      payload: { currentPassword: PASSWORD, newPassword: 'a different long passphrase 5', otp: next },
    });
    expectCleanError(change, [429]);
    const me = await as(app, victim, { method: 'GET', url: '/api/v1/me' });
    expect(me.json<{ mfaEnabled: boolean }>().mfaEnabled).toBe(true);
  });

  it('register and password-forgot answer alike for taken and free addresses, and leave the mail to the job queue', async () => {
    const sent: MailMessage[] = [];
    const mailer: Mailer = {
      send: async (message) => {
        sent.push(message);
        return { messageId: `<${sent.length}@test>`, accepted: [], rejected: [] };
      },
      verify: async () => undefined,
      close: () => undefined,
    };
    const logger = createLogger('silent');
    const jobs = new Jobs(testDb.database.sql, logger);
    const probe = await createTestApp({ database: testDb.database, redis, jobs, providers: { mailer } });
    defineAccountsJobs(jobs, { logger, accounts: probe.services.accounts });
    await jobs.start();
    await probe.ready();
    try {
      const taken = alice.email;
      const free = `fresh-${nextIp().replaceAll('.', '')}@example.test`;
      const unknown = `nobody-${nextIp().replaceAll('.', '')}@example.test`;
      const post = async (url: string, payload: Record<string, unknown>) => {
        const ip = nextIp();
        return probe.inject({
          method: 'POST',
          url,
          remoteAddress: ip,
          payload: { ...payload, captcha: await solveCaptcha(probe, ip) },
        });
      };
      const registerTaken = await post('/api/v1/auth/register', { email: taken, password: PASSWORD });
      const registerFree = await post('/api/v1/auth/register', { email: free, password: PASSWORD });
      expect(registerTaken.statusCode).toBe(202);
      expect(registerFree.statusCode).toBe(202);
      // The body echoes the address typed, nothing else differs.
      expect(registerTaken.json()).toEqual({ ...registerFree.json(), email: taken });
      const forgotKnown = await post('/api/v1/auth/password/forgot', { email: taken });
      const forgotUnknown = await post('/api/v1/auth/password/forgot', { email: unknown });
      expect(forgotKnown.statusCode).toBe(202);
      expect(forgotUnknown.statusCode).toBe(202);
      expect(forgotKnown.body).toBe(forgotUnknown.body);

      // Nothing was sent while answering: every request queued one job, whatever the address.
      expect(sent).toEqual([]);
      const queued = await testDb.database.sql.query(
        `select data from pgboss.job where name = $1 order by created_on`,
        [SEND_ACCOUNT_MAIL],
      );
      const data = queued.rows.map((row) => (row as { data: { kind: string; email: string } }).data);
      expect(data.map((d) => [d.kind, d.email])).toEqual([
        ['email_confirmation', taken],
        ['email_confirmation', free],
        ['password_reset', taken],
        ['password_reset', unknown],
      ]);
      // The taken address cost a throwaway account that was rolled back: nothing of it is left.
      const decoys = await testDb.database.sql.query(
        `select count(*)::int as n from users where email like '%@decoy.invalid'`,
      );
      expect(decoys.rows[0]).toEqual({ n: 0 });
      const attempt = await testDb.database.sql.query(
        `select count(*)::int as n from audit_log where action = 'user.register_existing' and subject_id = $1`,
        [taken],
      );
      expect(attempt.rows[0]).toEqual({ n: 1 });
      // The jobs decide: a confirmation for the new account, a reset link for the existing one.
      for (const job of data) await jobs.runNow(SEND_ACCOUNT_MAIL, job);
      expect(sent.map((m) => [m.to, m.subject])).toEqual([
        [free, expect.stringContaining('onfirm')],
        [taken, expect.stringContaining('eset')],
      ]);
    } finally {
      await probe.close();
      await jobs.stop();
    }
  });
});

// ---- injection and information leaks ---------------------------------------------------------

describe('injection and information leaks', () => {
  it('hostile query strings on list endpoints: 400/403 JSON, never 500', async () => {
    const b64 = (text: string) => Buffer.from(text).toString('base64url');
    const queries = [
      `status=${encodeURIComponent("' or 1=1--")}`,
      `status=${encodeURIComponent('active) union select * from users--')}`,
      `status=${encodeURIComponent('<script>alert(1)</script>')}`,
      'status=ACTIVE',
      `cursor=${encodeURIComponent('../../etc/passwd')}`,
      `cursor=${b64('2024-01-01T00:00:00.000Z|------------------------------------')}`,
      `cursor=${b64('2024-01-01T00:00:00.000Z|zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz')}`,
      `cursor=${b64('+275760-09-13T00:00:00.000Z|00000000-0000-4000-8000-000000000000')}`,
      `cursor=${b64('-271821-04-20T00:00:00.000Z|00000000-0000-4000-8000-000000000000')}`,
      `cursor=${b64('0|00000000-0000-4000-8000-000000000000')}`,
      `cursor=${'A'.repeat(300)}`,
      'limit=-1',
      'limit=0',
      'limit=1e9',
      'limit=abc',
      'limit=1&limit=2',
      `service=${encodeURIComponent("whatsapp' or '1'='1")}`,
      `service=${encodeURIComponent('x'.repeat(5000))}`,
      `service[]=a&service[]=b`,
    ];
    for (const query of queries) {
      const response = await as(app, bob, { method: 'GET', url: `/api/v1/verifications?${query}` });
      if (response.statusCode === 200) {
        expect(response.json<{ data: unknown[] }>().data, query).toEqual(expect.any(Array));
        for (const row of response.json<{ data: { id: string }[] }>().data) {
          const own = await as(app, bob, { method: 'GET', url: `/api/v1/verifications/${row.id}` });
          expect(own.statusCode).toBe(200);
        }
      } else expectCleanError(response, [400, 403, 414]);
    }
    for (const url of [
      '/api/v1/wallet/statement?cursor=1e99',
      '/api/v1/wallet/statement?cursor=-1',
      `/api/v1/wallet/statement?cursor=${encodeURIComponent("1' or '1'='1")}`,
      '/api/v1/wallet/topups?cursor=../../',
      '/api/v1/wallet/topups?limit=101',
      `/api/v1/catalog/services?q=${encodeURIComponent("' union select password_hash from users--")}`,
      `/api/v1/catalog/quote?service=${encodeURIComponent('<img src=x onerror=alert(1)>')}&country=US`,
      '/api/v1/catalog/quote?service=whatsapp&country=../../',
    ]) {
      const response = await as(app, bob, { method: 'GET', url });
      expect(response.statusCode, `${url} ${response.body}`).toBeLessThan(500);
      if (response.statusCode >= 400) expectCleanError(response, [400, 403, 404]);
    }
  });

  it('malformed ids in paths: 400/403/404 JSON, never 500', async () => {
    const paths = [
      '/api/v1/verifications/not-a-uuid',
      '/api/v1/verifications/00000000-0000-0000-0000-00000000000g',
      '/api/v1/verifications/..%2F..%2Fetc%2Fpasswd',
      `/api/v1/verifications/${encodeURIComponent("1' or '1'='1")}`,
      '/api/v1/verifications/%00',
      '/api/v1/verifications/%E0%A4%A',
      `/api/v1/verifications/${'9'.repeat(5000)}`,
      '/api/v1/verifications/not-a-uuid/events',
      '/api/v1/wallet/topups/nmk-tu-AAAA',
      `/api/v1/wallet/topups/${encodeURIComponent("nmk-tu-' or 1=1--")}`,
      `/api/v1/wallet/topups/${'x'.repeat(500)}`,
    ];
    for (const url of paths) {
      expectCleanError(await as(app, bob, { method: 'GET', url }), [400, 403, 404, 414]);
    }
    // Refused before routing: still the API's shape, the security headers, and the path not echoed.
    const badUrl = await as(app, bob, { method: 'GET', url: '/api/v1/verifications/%E0%A4%A<svg>' });
    expectCleanError(badUrl, [400]);
    expect(badUrl.headers['x-content-type-options']).toBe('nosniff');
    expect(badUrl.headers['content-security-policy']).toBeDefined();
    expect(badUrl.body).not.toContain('<svg>');
    for (const [method, url] of [
      ['POST', '/api/v1/verifications/not-a-uuid/cancel'],
      ['POST', '/api/v1/verifications/-1/report'],
      ['DELETE', '/api/v1/sessions/123'],
      ['DELETE', '/api/v1/api-keys/..%2F'],
    ] as const) {
      expectCleanError(await as(app, bob, { method, url }), [400, 403, 404]);
    }
  });

  it('body attacks: oversized, wrong content type, malformed JSON, prototype pollution', async () => {
    const big = JSON.stringify({ service: 'whatsapp', country: 'US', pad: 'x'.repeat(300 * 1024) });
    const oversized = await as(app, bob, {
      method: 'POST',
      url: '/api/v1/verifications',
      headers: { 'content-type': 'application/json' },
      payload: big,
    });
    expectCleanError(oversized, [413]);
    const hookOversized = await app.inject({
      method: 'POST',
      url: '/api/v1/hooks/textverified',
      remoteAddress: nextIp(),
      headers: {
        'content-type': 'application/json',
        'x-webhook-signature': signTextVerified(big, TV_SECRET),
      },
      payload: big,
    });
    expectCleanError(hookOversized, [413]);
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/xml',
      'multipart/form-data; boundary=x',
    ]) {
      const response = await as(app, bob, {
        method: 'POST',
        url: '/api/v1/wallet/topups',
        headers: { 'content-type': type },
        payload: 'amount=100000',
      });
      expectCleanError(response, [415]);
    }
    for (const raw of [
      '{"amount":',
      '{"amount": 500}}',
      "{'amount': 500}",
      '\u0000',
      'null',
      '[]',
      '"500"',
    ]) {
      const response = await as(app, bob, {
        method: 'POST',
        url: '/api/v1/wallet/topups',
        headers: { 'content-type': 'application/json' },
        payload: raw,
      });
      expectCleanError(response, [400]);
    }
    for (const raw of [
      '{"service":"whatsapp","country":"US","__proto__":{"status":"completed"}}',
      '{"service":"whatsapp","country":"US","constructor":{"prototype":{"admin":true}}}',
    ]) {
      const response = await as(app, bob, {
        method: 'POST',
        url: '/api/v1/verifications',
        headers: { 'content-type': 'application/json' },
        payload: raw,
      });
      expectCleanError(response, [400]);
      // Refused for what it is: valid JSON with a forbidden key.
      expect(response.json().error.message).toContain('__proto__');
    }
    // U+0000 inside JSON text (PostgreSQL cannot store it): 400 naming the field, never a 500.
    for (const [url, payload, field] of [
      ['/api/v1/api-keys', { name: 'a\u0000b', scopes: ['account:read'] }, 'body.name'],
      ['/api/v1/verifications', { service: 'google', country: 'US', carrier: 've\u0000r' }, 'body.carrier'],
      ['/api/v1/webhook-endpoints', { url: 'https://example.com/h', events: ['x\u0000'] }, 'body.events.0'],
    ] as const) {
      const response = await as(app, bob, { method: 'POST', url, payload });
      expectCleanError(response, [400]);
      expect(response.json().error).toMatchObject({ code: 'validation_failed', details: { field } });
    }
    expect(({} as Record<string, unknown>).status).toBeUndefined();
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });

  it('a malformed or forged TextVerified webhook completes nothing', async () => {
    const order = await buy(bob);
    const providerId = await providerIdOf(order.id);
    const post = (body: string, signature?: string) =>
      app.inject({
        method: 'POST',
        url: '/api/v1/hooks/textverified',
        remoteAddress: nextIp(),
        headers: {
          'content-type': 'application/json',
          ...(signature ? { 'x-webhook-signature': signature } : {}),
        },
        payload: body,
      });
    const sms = smsReceivedWebhookBody({
      id: 'whe_forged',
      from: '1',
      to: '2',
      createdAt: new Date(),
      smsContent: 'code 111111',
      parsedCode: '111111',
      reservationId: providerId,
    });
    expectCleanError(await post(sms), [401]);
    expectCleanError(await post(sms, signTextVerified(sms, 'whsec_guess')), [401]);
    expectCleanError(await post(sms, signTextVerified(`${sms} `, TV_SECRET)), [401]);
    expectCleanError(await post(sms, 'HMAC-SHA256=abc'), [401]);
    for (const raw of ['{', '{"event":"v2.sms.received","data":42}', '[]']) {
      const response = await post(raw, signTextVerified(raw, TV_SECRET));
      expect(response.statusCode, response.body).toBeLessThan(500);
    }
    const view = await as(app, bob, { method: 'GET', url: `/api/v1/verifications/${order.id}` });
    expect(view.json<VerificationBody>().status).toBe('active');
    await as(app, bob, { method: 'POST', url: `/api/v1/verifications/${order.id}/cancel` });
  });

  it('security headers on errors too, and no X-Powered-By', async () => {
    const response = await as(app, bob, { method: 'GET', url: '/api/v1/verifications/not-a-uuid' });
    expect(response.headers['x-powered-by']).toBeUndefined();
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    const missing = await as(app, bob, { method: 'GET', url: '/api/v1/<script>alert(1)</script>' });
    expect(missing.headers['content-type']).toMatch(/^application\/json/);
    expect([403, 404]).toContain(missing.statusCode);
  });
});

// ---- live streams after the access behind them ends ------------------------------------------

describe('a live stream ends when the access that opened it does', () => {
  /** A fresh victim with a live order (the sign-up's free verification) whose code stream is open. */
  async function victimWithStream(authorizationOf?: (victim: RealUser) => Promise<string>) {
    const victim = await signUp(app, catcher);
    await app.services.accounts.setUserTier(victim.userId, 'payg');
    const order = await buy(victim);
    const authorization = authorizationOf ? await authorizationOf(victim) : `Bearer ${victim.accessToken}`;
    const stream = await openStream(app, order.id, authorization);
    // The stream works: a code that arrives is delivered on it.
    textVerified.control.deliverSms(await providerIdOf(order.id), { code: '246810' });
    await eventually(async () => (stream.events.some((e) => e.event === 'message') ? true : undefined));
    return { victim, order, stream, authorization };
  }

  async function expectEnded(stream: Stream, verificationId: string, authorization: string) {
    expect(await stream.ended).toBe('closed');
    expect(stream.events.at(-1)).toEqual({
      event: 'error',
      data: { error: { code: 'access_revoked', message: expect.any(String) } },
    });
    // And it cannot be reopened with the same credential.
    const again = await as(app, null, {
      method: 'GET',
      url: `/api/v1/verifications/${verificationId}/events`,
      headers: { authorization },
    });
    expect([401, 403]).toContain(again.statusCode);
  }

  it('logout', async () => {
    const { victim, order, stream, authorization } = await victimWithStream();
    const logout = await as(app, victim, { method: 'POST', url: '/api/v1/auth/logout' });
    expect(logout.statusCode).toBe(204);
    await expectEnded(stream, order.id, authorization);
  });

  it('the session revoked from another session', async () => {
    const { victim, order, stream, authorization } = await victimWithStream();
    const other = await as(app, null, {
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: victim.email, password: PASSWORD },
    });
    expect(other.statusCode, other.body).toBe(200);
    const otherToken = other.json<{ accessToken: string }>().accessToken;
    const sessions = await as(app, victim, { method: 'GET', url: '/api/v1/sessions' });
    const streamed = sessions
      .json<{ data: { id: string; current: boolean }[] }>()
      .data.find((x) => x.current)!;
    const revoked = await as(app, null, {
      method: 'DELETE',
      url: `/api/v1/sessions/${streamed.id}`,
      headers: { authorization: `Bearer ${otherToken}` },
    });
    expect(revoked.statusCode).toBe(204);
    await expectEnded(stream, order.id, authorization);
  });

  it('a password reset', async () => {
    const { victim, order, stream, authorization } = await victimWithStream();
    const ip = nextIp();
    const forgot = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/password/forgot',
      remoteAddress: ip,
      payload: { email: victim.email, captcha: await solveCaptcha(app, ip) },
    });
    expect(forgot.statusCode).toBe(202);
    const mail = await catcher.waitForMessage(
      (m) => m.to.includes(victim.email) && /reset-password/.test(m.text),
    );
    const token = decodeURIComponent(/reset-password\?token=([A-Za-z0-9_%-]+)/.exec(mail.text)![1]!);
    const reset = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/password/reset',
      remoteAddress: ip,
      payload: { token, password: 'a brand new passphrase 77', captcha: await solveCaptcha(app, ip) },
    });
    expect(reset.statusCode, reset.body).toBe(200);
    await expectEnded(stream, order.id, authorization);
  });

  it('suspension (a token stream and an API-key stream)', async () => {
    const { victim, order, stream, authorization } = await victimWithStream();
    const keyed = await apiKeyOf(victim);
    const keyStream = await openStream(app, order.id, `Bearer ${keyed.key}`);
    await app.services.accounts.suspendUser(victim.userId, null, 'attack suite');
    await expectEnded(stream, order.id, authorization);
    await expectEnded(keyStream, order.id, `Bearer ${keyed.key}`);
  });

  it('the API key revoked', async () => {
    let keyId = '';
    const { victim, order, stream, authorization } = await victimWithStream(async (user) => {
      const keyed = await apiKeyOf(user);
      keyId = keyed.id;
      return `Bearer ${keyed.key}`;
    });
    // Another stream of the same user, by session, is not affected.
    const sessionStream = await openStream(app, order.id, `Bearer ${victim.accessToken}`);
    const revoked = await as(app, victim, { method: 'DELETE', url: `/api/v1/api-keys/${keyId}` });
    expect(revoked.statusCode).toBe(204);
    await expectEnded(stream, order.id, authorization);
    // The check that ended the key's stream looked at this one too.
    expect(sessionStream.events.some((e) => e.event === 'error')).toBe(false);
    await as(app, victim, { method: 'POST', url: '/api/v1/auth/logout' });
    expect(await sessionStream.ended).toBe('closed');
  });

  async function apiKeyOf(user: RealUser): Promise<{ id: string; key: string }> {
    const made = await as(app, user, {
      method: 'POST',
      url: '/api/v1/api-keys',
      payload: { name: 'stream', scopes: ['verifications:read'] },
    });
    expect(made.statusCode, made.body).toBe(201);
    return made.json<{ id: string; key: string }>();
  }
});

// ---- races -----------------------------------------------------------------------------------

describe('races', () => {
  it('ten concurrent cancels refund once', async () => {
    const before = await wallet(bob);
    const order = await buy(bob);
    const responses = await Promise.all(
      Array.from({ length: 10 }, () =>
        as(app, bob, { method: 'POST', url: `/api/v1/verifications/${order.id}/cancel` }),
      ),
    );
    for (const response of responses) {
      expect(response.statusCode, response.body).toBe(200);
      expect(response.json<VerificationBody>().status).toBe('canceled');
    }
    expect(await wallet(bob)).toEqual(before);
    await expectLedgerOk();
  });

  it('cancel racing the SMS: either charged and completed, or refunded and canceled — never both', async () => {
    for (let i = 0; i < 3; i++) {
      const before = await wallet(bob);
      const order = await buy(bob);
      const providerId = await providerIdOf(order.id);
      const [cancel] = await Promise.all([
        as(app, bob, { method: 'POST', url: `/api/v1/verifications/${order.id}/cancel` }),
        (async () => textVerified.control.deliverSms(providerId, { code: '246810' }))(),
        ...Array.from({ length: 3 }, () =>
          as(app, bob, { method: 'POST', url: `/api/v1/verifications/${order.id}/report` }),
        ),
      ]);
      expect([200, 409]).toContain(cancel.statusCode);
      // Let the webhook land, then read the final state.
      await eventually(async () => {
        const r = await as(app, bob, { method: 'GET', url: `/api/v1/verifications/${order.id}` });
        return r.json<{ messages: unknown[] }>().messages.length > 0 ? true : undefined;
      });
      const final = (await as(app, bob, { method: 'GET', url: `/api/v1/verifications/${order.id}` })).json<
        VerificationBody & { code: string | null }
      >();
      const after = await wallet(bob);
      if (final.status === 'completed') {
        expect(after).toEqual({ ...before, balance: before.balance - WHATSAPP_PRICE });
      } else {
        expect(final.status).toBe('canceled');
        expect(after).toEqual(before);
      }
    }
    await expectLedgerOk();
  });

  it('concurrent purchases on a wallet that covers one: one order, the rest 402, never negative', async () => {
    const user = await signUp(app, catcher);
    await app.services.accounts.setUserTier(user.userId, 'payg');
    // Spend the free credit, then fund exactly one purchase.
    await spendFreeCredit(user);
    await topUp(user, 200);
    const responses = await Promise.all(
      Array.from({ length: 6 }, () =>
        as(app, user, {
          method: 'POST',
          url: '/api/v1/verifications',
          payload: { service: 'whatsapp', country: 'US' },
        }),
      ),
    );
    const statuses = responses.map((r) => r.statusCode).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    for (const response of responses.filter((r) => r.statusCode !== 201)) {
      expectCleanError(response, [402]);
    }
    expect(await wallet(user)).toEqual({ balance: 200 - WHATSAPP_PRICE, held: WHATSAPP_PRICE, free: 0 });
    await expectLedgerOk();
  });
});
