import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, createTestApp } from '../../../test/support/app.js';
import { type TestDatabase, createPostgresTestDatabase } from '../../../test/support/database.js';
import { fundWallet } from '../../../test/support/wallet.js';
import { createMailer } from '../../platform/mail/mailer.js';
import { createTextVerifiedClient } from '../../providers/textverified/index.js';
import { type SmtpCatcher, startSmtpCatcher } from '../../sandbox/smtp/catcher.js';
import { type TextVerifiedSandbox, startTextVerifiedSandbox } from '../../sandbox/textverified/index.js';
import { INCLUDED_USAGE_CURRENCY, checkLedgerInvariants } from '../ledger/index.js';
import type { SubscriptionEvent } from './events.js';
import { type SubscriptionsService, createSubscriptionsService } from './service.js';

const PASSWORD = 'correct horse battery staple 42';

let testDb: TestDatabase;
let app: TestApp;
let catcher: SmtpCatcher;
let sandbox: TextVerifiedSandbox;
let ipCounter = 1;

beforeAll(async () => {
  testDb = await createPostgresTestDatabase(30);
  catcher = await startSmtpCatcher();
  sandbox = await startTextVerifiedSandbox({
    apiKey: 'tv-key',
    username: 'ops@namaskah.test',
    webhookSecret: 'whsec_plans_test',
    smsDelayMs: 3_600_000,
  });
  const textVerified = createTextVerifiedClient({
    baseUrl: sandbox.url,
    apiKey: 'tv-key',
    username: 'ops@namaskah.test',
  });
  const mailer = createMailer({ smtpUrl: catcher.smtpUrl, from: 'Namaskah <no-reply@namaskah.test>' });
  app = await createTestApp({
    database: testDb.database,
    providers: { mailer, textVerified },
    env: { RATE_LIMIT_GLOBAL_PER_MINUTE: '0', ALLOW_PRIVATE_WEBHOOK_TARGETS: 'true' },
  });
  await app.ready();
}, 60_000);

afterAll(async () => {
  await app?.close();
  await catcher?.close();
  await sandbox?.close();
  await testDb?.dispose();
});

const db = () => testDb.database.db;

interface TestUser {
  id: string;
  email: string;
  headers: { authorization: string };
}

/** A real account (the gates read `users.tier` on every request), signed in with an access token. */
async function signedUpUser(options: { confirmed?: boolean; cents?: number } = {}): Promise<TestUser> {
  const email = `plan-${randomUUID().slice(0, 8)}@example.test`;
  const created = await app.services.accounts.createUser({ email, password: PASSWORD });
  const id = created!.id;
  if (options.confirmed !== false)
    await testDb.database.sql.query('update users set email_confirmed_at = now() where id = $1', [id]);
  if (options.cents) await fundWallet(db(), id, options.cents);
  const login = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    remoteAddress: `10.20.${Math.floor(ipCounter / 250)}.${(ipCounter++ % 250) + 1}`,
    payload: { email, password: PASSWORD },
  });
  expect(login.statusCode).toBe(200);
  return {
    id,
    email,
    headers: { authorization: `Bearer ${login.json<{ accessToken: string }>().accessToken}` },
  };
}

const subscribe = (user: TestUser, payload: unknown, key?: string) =>
  app.inject({
    method: 'POST',
    url: '/api/v1/subscription',
    headers: { ...user.headers, ...(key ? { 'idempotency-key': key } : {}) },
    payload: payload as Record<string, unknown>,
  });

const subscriptionOf = async (user: TestUser) =>
  (await app.inject({ method: 'GET', url: '/api/v1/subscription', headers: user.headers })).json<{
    tier: string;
    status: string;
    currentPeriodStart: string | null;
    currentPeriodEnd: string | null;
    cancelAtPeriodEnd: boolean;
    graceEndsAt: string | null;
    includedUsage: { remaining: { amount: number }; perPeriod: { amount: number } };
  }>();

/** The subscription charges the ledger holds for a user (wallet → subscriptions, in USD). */
async function chargesOf(userId: string): Promise<number[]> {
  const { rows } = await testDb.database.sql.query(
    `select e.amount::int as amount from ledger_entries e
       join ledger_transactions t on t.id = e.transaction_id
       join ledger_accounts a on a.id = e.account_id
      where t.kind = 'subscription' and a.owner_id = $1 and e.currency = 'USD' order by e.id`,
    [userId],
  );
  return rows.map((row) => -Number(row.amount));
}

const balanceOf = async (userId: string, currency = 'USD') =>
  (await app.services.ledger.walletSummary(db(), userId, currency)).balance;

async function expectLedgerClean() {
  expect((await checkLedgerInvariants(db())).violations).toEqual([]);
}

const tierPrice = async (name: string) => (await app.services.tiers.list()).find((t) => t.name === name)!;

/** A second service on the same database with its own clock (a worker at another moment). */
function serviceAt(clock: { now: Date }, events: SubscriptionEvent[] = []): SubscriptionsService {
  const { services, platform } = app;
  return createSubscriptionsService({
    db: db(),
    ledger: services.ledger,
    tiers: services.tiers,
    accounts: services.accounts,
    mailer: platform.providers.mailer,
    jobs: undefined,
    publicUrl: platform.config.publicUrl,
    logger: platform.logger,
    emitEvent: async (_tx, event) => void events.push(event),
    now: () => clock.now,
  });
}

describe('GET /api/v1/tiers', () => {
  it('lists the tier rows, public, with prices as Money and every gate', async () => {
    const response = await app.inject({ method: 'GET', url: '/api/v1/tiers' });
    expect(response.statusCode).toBe(200);
    const tiers = response.json<{ data: { name: string; monthlyPrice: unknown; gates: unknown }[] }>().data;
    expect(tiers.map((t) => t.name)).toEqual(['freemium', 'payg', 'pro', 'custom']);
    const pro = tiers.find((t) => t.name === 'pro')!;
    expect(pro).toMatchObject({
      displayName: 'Pro',
      monthlyPrice: { amount: 2500, currency: 'USD' },
      includedUsage: { amount: 1500, currency: 'USD' },
      priceMultiplier: 0.85,
      gates: {
        areaCode: { allowed: true, surcharge: { amount: 0, currency: 'USD' } },
        voice: true,
        apiKeyLimit: 10,
        webhooks: true,
        maxActiveOrders: 25,
      },
    });
    expect(tiers.find((t) => t.name === 'payg')!.gates).toMatchObject({
      areaCode: { allowed: true, surcharge: { amount: 25 } },
      carrier: { allowed: true, surcharge: { amount: 50 } },
      apiKeyLimit: 2,
    });
    expect(tiers.find((t) => t.name === 'custom')!.gates).toMatchObject({ apiKeyLimit: null });
  });
});

describe('moving between tiers', () => {
  it('moves a freemium user to payg at once and for free: payg needs no subscription', async () => {
    const user = await signedUpUser({ cents: 500 });
    const response = await subscribe(user, { tier: 'payg' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ tier: 'payg', status: 'none', currentPeriodEnd: null });
    expect(await chargesOf(user.id)).toEqual([]);
    expect(await balanceOf(user.id)).toBe(500);
    await expectLedgerClean();
  });

  it('charges an upgrade once under 20 concurrent identical requests (same Idempotency-Key)', async () => {
    const user = await signedUpUser({ cents: 10_000 });
    const key = randomUUID();
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => subscribe(user, { tier: 'pro' }, key)),
    );
    const statuses = responses.map((r) => r.statusCode);
    expect(
      statuses.every((s) => s === 200 || s === 409),
      statuses.join(),
    ).toBe(true);
    expect(statuses).toContain(200);
    for (const conflict of responses.filter((r) => r.statusCode === 409))
      expect(conflict.json().error.code).toBe('idempotency_key_in_use');
    expect(await chargesOf(user.id)).toEqual([2500]);
    expect(await balanceOf(user.id)).toBe(10_000 - 2500);
    // A replay afterwards answers the stored result and charges nothing more.
    const replay = await subscribe(user, { tier: 'pro' }, key);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(await chargesOf(user.id)).toEqual([2500]);
    const plan = await subscriptionOf(user);
    expect(plan).toMatchObject({ tier: 'pro', status: 'active', cancelAtPeriodEnd: false });
    expect(plan.includedUsage).toEqual({
      remaining: { amount: 1500, currency: 'USD' },
      perPeriod: { amount: 1500, currency: 'USD' },
    });
    await expectLedgerClean();
  });

  it('charges an upgrade once under 20 concurrent requests with different keys', async () => {
    const user = await signedUpUser({ cents: 10_000 });
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => subscribe(user, { tier: 'pro' }, randomUUID())),
    );
    expect(responses.map((r) => r.statusCode)).toEqual(Array.from({ length: 20 }, () => 200));
    expect(responses.every((r) => r.json().tier === 'pro')).toBe(true);
    expect(await chargesOf(user.id)).toEqual([2500]);
    expect(await balanceOf(user.id)).toBe(7500);
    expect(await balanceOf(user.id, INCLUDED_USAGE_CURRENCY)).toBe(1500);
    await expectLedgerClean();
  });

  it('takes no price from the client: a price in the body is refused, the charge is the tier row', async () => {
    const user = await signedUpUser({ cents: 10_000 });
    for (const payload of [
      { tier: 'custom', price: 1 },
      { tier: 'custom', amount: { amount: 1, currency: 'USD' } },
      { tier: 'custom', monthlyPrice: 1 },
    ]) {
      const refused = await subscribe(user, payload);
      expect(refused.statusCode).toBe(400);
      expect(refused.json().error.code).toBe('validation_failed');
    }
    expect(await chargesOf(user.id)).toEqual([]);
    // An admin's new price in the row is what the next upgrade pays.
    await testDb.database.sql.query(`update tiers set monthly_price_cents = 3100 where name = 'custom'`);
    try {
      expect((await subscribe(user, { tier: 'custom' })).statusCode).toBe(200);
      expect(await chargesOf(user.id)).toEqual([(await tierPrice('custom')).monthlyPriceCents]);
      expect(await chargesOf(user.id)).toEqual([3100]);
    } finally {
      await testDb.database.sql.query(`update tiers set monthly_price_cents = 3500 where name = 'custom'`);
    }
    await expectLedgerClean();
  });

  it('refuses an upgrade the wallet cannot pay (402) and changes nothing', async () => {
    const user = await signedUpUser({ cents: 2499 });
    const response = await subscribe(user, { tier: 'pro' });
    expect(response.statusCode).toBe(402);
    expect(response.json().error.code).toBe('insufficient_funds');
    expect(await subscriptionOf(user)).toMatchObject({ tier: 'freemium', status: 'none' });
    expect(await balanceOf(user.id)).toBe(2499);
    await expectLedgerClean();
  });

  it('needs a confirmed e-mail address to change plans', async () => {
    const user = await signedUpUser({ confirmed: false, cents: 10_000 });
    const response = await subscribe(user, { tier: 'pro' });
    expect(response.statusCode).toBe(403);
    expect(response.json().error.code).toBe('email_unconfirmed');
    expect(await chargesOf(user.id)).toEqual([]);
  });

  it('unlocks the new tier’s gates at once: API keys beyond payg’s limit, area codes', async () => {
    const user = await signedUpUser({ cents: 10_000 });
    const quote = () =>
      app.inject({
        method: 'GET',
        url: '/api/v1/catalog/quote?service=whatsapp&country=US&areaCode=212',
        headers: user.headers,
      });
    const createKey = (n: number) =>
      app.inject({
        method: 'POST',
        url: '/api/v1/api-keys',
        headers: user.headers,
        payload: { name: `key ${n}`, scopes: ['verifications:read'] },
      });
    // Freemium: neither.
    expect((await quote()).json().error.code).toBe('tier_required');
    expect((await createKey(0)).json().error.code).toBe('tier_required');

    expect((await subscribe(user, { tier: 'pro' })).statusCode).toBe(200);
    const quoted = await quote();
    expect(quoted.statusCode).toBe(200);
    expect(quoted.json()).toMatchObject({ tier: 'pro', breakdown: { surcharges: 0 } });
    // payg allows 2 keys; pro allows 10.
    for (let n = 1; n <= 3; n++) expect((await createKey(n)).statusCode).toBe(201);
  });
});

describe('renewal', () => {
  it("records a subscription.renewed webhook event for the user's endpoint (the app's services)", async () => {
    const user = await signedUpUser({ cents: 10_000 });
    expect((await subscribe(user, { tier: 'pro' })).statusCode).toBe(200);
    await app.services.webhooks.createEndpoint({
      userId: user.id,
      tier: 'pro',
      url: 'http://127.0.0.1:9/hook',
      events: ['subscription.renewed'],
    });
    // The period has ended: the plan is due at the real clock (whole seconds, as JS dates keep ms).
    await testDb.database.sql.query(
      `update subscriptions set current_period_start = date_trunc('second', now()) - interval '31 days',
         current_period_end = date_trunc('second', now()) - interval '1 second' where user_id = $1`,
      [user.id],
    );
    expect(await app.services.subscriptions.renewOne(await idOf(user.id))).toBe('renewed');
    const { rows } = await testDb.database.sql.query(
      `select e.type, e.data, count(d.id)::int as deliveries from webhook_events e
         left join webhook_deliveries d on d.event_id = e.id
        where e.user_id = $1 group by e.id`,
      [user.id],
    );
    expect(rows).toEqual([
      {
        type: 'subscription.renewed',
        data: expect.objectContaining({ tier: 'pro', amount: { amount: 2500, currency: 'USD' } }),
        deliveries: 1,
      },
    ]);
  });

  it('charges each period once with two workers racing, and resets the included usage', async () => {
    const start = new Date('2030-01-31T10:00:00.000Z');
    const clock = { now: start };
    const [a, b] = [serviceAt(clock), serviceAt(clock)];
    const user = await signedUpUser({ cents: 10_000 });
    await a.changeTier(user.id, 'pro');
    expect(await chargesOf(user.id)).toEqual([2500]);
    // Part of the included usage is spent, as a purchase would.
    const spent = await db().transaction((tx) =>
      app.services.ledger.holdIncludedUsage(tx, {
        ownerId: user.id,
        amount: 1000,
        reference: `test-usage-${user.id}`,
        memo: 'usage',
      }),
    );
    await db().transaction((tx) => app.services.ledger.capture(tx, spent!.hold.id));
    expect(await balanceOf(user.id, INCLUDED_USAGE_CURRENCY)).toBe(500);

    // Before the end of the period: nothing to do.
    clock.now = new Date('2030-02-28T09:59:59.000Z');
    expect(await a.renewOne(await idOf(user.id))).toBe('none');

    clock.now = new Date('2030-02-28T10:00:00.000Z');
    // Plans of the other tests are due too at this clock: assertions are about this user.
    const runs = await Promise.all([a.renewDue(), b.renewDue(), a.renewDue(), b.renewDue()]);
    // The losers of the race find nothing to do; none of them fails.
    expect(runs.map((counts) => counts.failed)).toEqual([0, 0, 0, 0]);
    expect(await chargesOf(user.id)).toEqual([2500, 2500]);
    expect(await balanceOf(user.id)).toBe(5000);
    expect(await balanceOf(user.id, INCLUDED_USAGE_CURRENCY)).toBe(1500);
    const plan = await a.subscriptionOf(user.id);
    // Jan 31 → Feb 28 → Mar 31: the anchor's day, clamped to short months.
    expect(plan).toMatchObject({
      status: 'active',
      currentPeriodStart: '2030-02-28T10:00:00.000Z',
      currentPeriodEnd: '2030-03-31T10:00:00.000Z',
    });

    clock.now = new Date('2030-03-31T10:00:00.000Z');
    await Promise.all([a.renewDue(), b.renewDue()]);
    expect(await chargesOf(user.id)).toEqual([2500, 2500, 2500]);
    await expectLedgerClean();
  });

  it('insufficient funds → past_due with 3 days of grace and an e-mail → downgraded to payg after grace', async () => {
    const start = new Date('2031-05-10T12:00:00.000Z');
    const clock = { now: start };
    const events: SubscriptionEvent[] = [];
    const [a, b] = [serviceAt(clock, events), serviceAt(clock, events)];
    const typesFor = (userId: string) => events.filter((e) => e.userId === userId).map((e) => e.type);
    const user = await signedUpUser({ cents: 2600 });
    await a.changeTier(user.id, 'pro');
    expect(await balanceOf(user.id)).toBe(100);

    clock.now = new Date('2031-06-10T12:00:00.000Z');
    await Promise.all([a.renewDue(), b.renewDue()]);
    const pastDue = await a.subscriptionOf(user.id);
    expect(pastDue).toMatchObject({
      tier: 'pro',
      status: 'past_due',
      graceEndsAt: '2031-06-13T12:00:00.000Z',
    });
    const notice = await catcher.waitForMessage(
      (m) => m.to.includes(user.email) && /could not be renewed/.test(m.subject),
    );
    expect(notice.text).toContain('$25.00');
    expect(typesFor(user.id)).toEqual(['subscription.past_due']);

    // Still in grace: retried, still unpaid, still pro (the gates stay open).
    clock.now = new Date('2031-06-13T11:59:59.000Z');
    await a.renewDue();
    expect((await subscriptionOf(user)).tier).toBe('pro');

    clock.now = new Date('2031-06-13T12:00:00.000Z');
    await Promise.all([a.renewDue(), b.renewDue()]);
    expect(await subscriptionOf(user)).toMatchObject({
      tier: 'payg',
      status: 'none',
      includedUsage: { remaining: { amount: 0 } },
    });
    expect(await chargesOf(user.id)).toEqual([2500]);
    expect(await balanceOf(user.id)).toBe(100);
    expect(typesFor(user.id)).toEqual(['subscription.past_due', 'subscription.downgraded']);
    expect(events.filter((e) => e.userId === user.id)[1]).toMatchObject({
      data: { fromTier: 'pro', toTier: 'payg', reason: 'grace_expired' },
    });
    await catcher.waitForMessage((m) => m.to.includes(user.email) && /plan has changed/.test(m.subject));
    // The gates follow at once: payg's key limit is 2.
    await expectLedgerClean();
  });

  it('a past-due plan paid within grace renews from the end of the unpaid period', async () => {
    const clock = { now: new Date('2032-01-15T00:00:00.000Z') };
    const service = serviceAt(clock);
    const user = await signedUpUser({ cents: 2500 });
    await service.changeTier(user.id, 'pro');
    clock.now = new Date('2032-02-15T00:00:00.000Z');
    await service.renewDue();
    expect((await service.subscriptionOf(user.id)).status).toBe('past_due');
    await fundWallet(db(), user.id, 2500);
    clock.now = new Date('2032-02-16T00:00:00.000Z');
    await service.renewDue();
    expect(await service.subscriptionOf(user.id)).toMatchObject({
      status: 'active',
      graceEndsAt: null,
      currentPeriodStart: '2032-02-15T00:00:00.000Z',
      currentPeriodEnd: '2032-03-15T00:00:00.000Z',
    });
    expect(await chargesOf(user.id)).toEqual([2500, 2500]);
    await expectLedgerClean();
  });

  it('cancel at period end: no charge, downgraded to payg when the period ends', async () => {
    const clock = { now: new Date('2033-03-01T08:00:00.000Z') };
    const events: SubscriptionEvent[] = [];
    const service = serviceAt(clock, events);
    const user = await signedUpUser({ cents: 10_000 });
    expect((await subscribe(user, { tier: 'pro' })).statusCode).toBe(200);
    // The route's own service runs on the real clock; the period is read back from it.
    const canceled = await app.inject({
      method: 'DELETE',
      url: '/api/v1/subscription',
      headers: user.headers,
    });
    expect(canceled.statusCode).toBe(200);
    expect(canceled.json()).toMatchObject({ tier: 'pro', status: 'active', cancelAtPeriodEnd: true });
    const periodEnd = new Date(canceled.json<{ currentPeriodEnd: string }>().currentPeriodEnd);

    clock.now = new Date(periodEnd.getTime() - 1);
    await service.renewDue();
    expect((await subscriptionOf(user)).tier).toBe('pro');

    clock.now = periodEnd;
    await service.renewDue();
    expect(await subscriptionOf(user)).toMatchObject({ tier: 'payg', status: 'none' });
    expect(await chargesOf(user.id)).toEqual([2500]);
    expect(events.filter((e) => e.userId === user.id)).toEqual([
      {
        type: 'subscription.downgraded',
        userId: user.id,
        data: { fromTier: 'pro', toTier: 'payg', reason: 'canceled' },
      },
    ]);
    // Nothing to cancel any more.
    const again = await app.inject({ method: 'DELETE', url: '/api/v1/subscription', headers: user.headers });
    expect(again.statusCode).toBe(404);
    await expectLedgerClean();
  });

  it('a cheaper paid plan takes effect at renewal, at its own price', async () => {
    const clock = { now: new Date('2034-07-01T00:00:00.000Z') };
    const service = serviceAt(clock);
    const user = await signedUpUser({ cents: 10_000 });
    await service.changeTier(user.id, 'custom');
    const scheduled = await service.changeTier(user.id, 'pro');
    expect(scheduled).toMatchObject({ tier: 'custom', scheduledTier: 'pro' });
    expect(await chargesOf(user.id)).toEqual([3500]);
    clock.now = new Date('2034-08-01T00:00:00.000Z');
    await service.renewDue();
    expect(await service.subscriptionOf(user.id)).toMatchObject({ tier: 'pro', scheduledTier: null });
    expect(await chargesOf(user.id)).toEqual([3500, 2500]);
    expect(await balanceOf(user.id, INCLUDED_USAGE_CURRENCY)).toBe(1500);
    await expectLedgerClean();
  });
});

async function idOf(userId: string): Promise<string> {
  const { rows } = await testDb.database.sql.query('select id from subscriptions where user_id = $1', [
    userId,
  ]);
  return String(rows[0]!.id);
}
