/**
 * Routing with failover over HTTP, on real PostgreSQL, with the TextVerified and 5sim sandboxes
 * behind the real clients: a refused first choice hands the same order (same hold) to the next
 * provider; both refusing fails it and releases the hold; an open circuit is routed around at
 * once; an order bought from 5sim lives its whole life at 5sim; admins' pins and disables hold;
 * and money races with two providers and the handler_api route never overspend a wallet.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type SignedIn, signInAdmin } from '../../../test/support/admin.js';
import { type TestApp, createTestApp } from '../../../test/support/app.js';
import { nextIp } from '../../../test/support/attacker.js';
import { type TestDatabase, createPostgresTestDatabase } from '../../../test/support/database.js';
import { asPrincipal, testPrincipal, trustTestPrincipalHeader } from '../../../test/support/principal.js';
import { insertKnownOrders } from '../../../test/support/delivery-orders.js';
import { fundWallet } from '../../../test/support/wallet.js';
import type { Principal } from '../../platform/http/principal.js';
import { createFiveSimClient } from '../../providers/fivesim/index.js';
import { type TextVerifiedClient, createTextVerifiedClient } from '../../providers/textverified/index.js';
import { type FiveSimSandbox, startFiveSimSandbox } from '../../sandbox/fivesim/index.js';
import { type TextVerifiedSandbox, startTextVerifiedSandbox } from '../../sandbox/textverified/index.js';
import { checkLedgerInvariants } from '../ledger/index.js';

/** payg: 0.95 × 1.5 = 142.5 → 143 cents for WhatsApp (TextVerified's sandbox price). */
const WHATSAPP_PAYG = 143;
// Generous: the 1000-purchase race reaches the in-process sandbox at once, and on two busy cores
// some creates took over 3 s (answered 202 pending, which that test does not expect).
const TV_TIMEOUT_MS = 10_000;

let testDb: TestDatabase;
let tv: TextVerifiedSandbox;
let fs: FiveSimSandbox;
let tvClient: TextVerifiedClient;
let app: TestApp;
let admin: SignedIn;

beforeAll(async () => {
  testDb = await createPostgresTestDatabase(12);
  tv = await startTextVerifiedSandbox({
    apiKey: 'tv-key',
    username: 'ops@namaskah.test',
    webhookSecret: 'whsec_routing',
    smsDelayMs: 3_600_000, // SMS only on command
    maxUnfinished: 1_000_000,
    balanceCents: 1_000_000_000,
    hangMs: 10_000,
  });
  fs = await startFiveSimSandbox({
    apiKey: 'eyJ.routing',
    smsDelayMs: 3_600_000,
    balanceCents: 1_000_000_000,
  });
  tvClient = createTextVerifiedClient({
    baseUrl: tv.url,
    apiKey: 'tv-key',
    username: 'ops@namaskah.test',
    timeoutMs: TV_TIMEOUT_MS,
    retry: { retries: 0 },
    circuitBreaker: { consecutiveFailures: 3, halfOpenAfterMs: 600_000 },
  });
  const fiveSim = createFiveSimClient({
    baseUrl: fs.url,
    apiKey: 'eyJ.routing',
    timeoutMs: 5_000,
    circuitBreaker: { consecutiveFailures: 1_000_000 },
  });
  app = await createTestApp({
    database: testDb.database,
    providers: { textVerified: tvClient, fiveSim },
    env: { RATE_LIMIT_GLOBAL_PER_MINUTE: '0' },
  });
  trustTestPrincipalHeader(app);
  await app.ready();
  admin = await signInAdmin(app);
}, 60_000);

afterAll(async () => {
  await app?.close();
  await tv?.close();
  await fs?.close();
  await testDb?.dispose();
});

const db = () => testDb.database.db;
const sql = async <T>(text: string, values: unknown[] = []) =>
  (await testDb.database.sql.query(text, values)).rows as T[];

/**
 * Both providers stocked, 5sim at TextVerified's price (a tie: TextVerified is the first choice),
 * no rules, fresh caches; then a quote warms routing's offers as a shopper's quote would.
 */
async function reset() {
  tv.control.clearFaults();
  fs.control.clearFaults();
  tv.control.setStock('whatsapp', 1_000_000);
  fs.control.setStock('whatsapp', 10_000);
  fs.control.setPrice('whatsapp', 95);
  for (const service of ['whatsapp']) {
    await app.services.routing.setRule(db(), { service, pinned: null, disabled: [] });
  }
  app.services.routing.invalidate();
  app.services.catalog.invalidate();
  expect(await quote()).toBe(WHATSAPP_PAYG);
  tv.control.clearRequests();
  fs.control.clearRequests();
}

async function quote(): Promise<number> {
  const response = await app.inject({ url: '/api/v1/catalog/quote?service=whatsapp&country=US' });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<{ price: { amount: number } }>().price.amount;
}

async function fundedUser(cents = 10_000, tier = 'payg'): Promise<Principal> {
  const principal = testPrincipal({ tier });
  await fundWallet(db(), principal.userId, cents);
  return principal;
}

const buy = (
  principal: Principal,
  payload: Record<string, unknown> = { service: 'whatsapp', country: 'US' },
) => app.inject({ method: 'POST', url: '/api/v1/verifications', headers: asPrincipal(principal), payload });

const wallet = async (userId: string) => {
  const { balance, held } = await app.services.ledger.walletSummary(db(), userId);
  return { balance, held };
};

const orderRow = async (id: string) =>
  (
    await sql<{ provider: string; provider_id: string | null; status: string; failure_code: string | null }>(
      `select provider, provider_id, status, failure_code from verifications where id = $1`,
      [id],
    )
  )[0]!;

/** Ledger holds of one user's orders and how each was resolved. */
const holdsOf = (userId: string) =>
  sql<{ status: string }>(
    `select status from ledger_holds where owner_id = $1 and reference like 'verification:%'`,
    [userId],
  );

/** The id of the user's order once it exists (while it is still being bought). */
async function eventuallyPending(userId: string): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const [row] = await sql<{ id: string; provider: string }>(
      `select id, provider from verifications where user_id = $1 and status = 'pending'`,
      [userId],
    );
    // Handed to 5sim: TextVerified has refused, 5sim is selling.
    if (row?.provider === 'fivesim') return row.id;
    await sleep(20);
  }
  throw new Error('no pending order handed to 5sim');
}

const tvCreates = () =>
  tv.control.requests().filter((r) => r.method === 'POST' && r.path === '/api/pub/v2/verifications');
const fsCalls = (kind: 'buy' | 'check' | 'cancel' | 'ban' | 'finish') =>
  fs.control.requests().filter((r) => r.path.startsWith(`/v1/user/${kind}/`));

async function expectLedgerOk() {
  const report = await checkLedgerInvariants(db());
  expect(report.violations).toEqual([]);
  expect(report.ok).toBe(true);
}

const asAdmin = (method: 'GET' | 'PUT', url: string, payload?: unknown) =>
  app.inject({
    method,
    url,
    remoteAddress: nextIp(),
    headers: { authorization: `Bearer ${admin.accessToken}` },
    ...(payload === undefined ? {} : { payload: payload as object }),
  });

describe('failover inside one purchase', () => {
  beforeEach(reset);

  it('TextVerified out of stock → bought from 5sim in the same request, charged once at the quote', async () => {
    const user = await fundedUser(1_000);
    tv.control.setStock('whatsapp', 0); // after the quote: routing still ranks TextVerified first
    const response = await buy(user);
    expect(response.statusCode, response.body).toBe(201);
    const view = response.json<{
      id: string;
      status: string;
      price: { amount: number };
      phoneNumber: string;
    }>();
    expect(view.status).toBe('active');
    expect(view.price.amount).toBe(WHATSAPP_PAYG);
    // TextVerified was asked first and refused; 5sim sold, within what the quote allows.
    expect(tvCreates()).toHaveLength(1);
    expect(fsCalls('buy')).toHaveLength(1);
    expect(fsCalls('buy')[0]!.url).toContain(`maxPrice=${WHATSAPP_PAYG / 100}`);
    const row = await orderRow(view.id);
    expect(row).toMatchObject({ provider: 'fivesim', status: 'active' });
    const sold = fs.control.order(row.provider_id!)!;
    expect(sold.phone).toBe(view.phoneNumber);
    expect(sold.priceCents).toBeLessThanOrEqual(WHATSAPP_PAYG);
    // Charged once: one hold, of the quote.
    expect(await wallet(user.userId)).toEqual({ balance: 1_000 - WHATSAPP_PAYG, held: WHATSAPP_PAYG });
    expect(await holdsOf(user.userId)).toHaveLength(1);
    await expectLedgerOk();
  });

  it('our balance at TextVerified is gone → 5sim sells instead', async () => {
    const user = await fundedUser(1_000);
    tv.control.setBalance(0);
    try {
      const response = await buy(user);
      expect(response.statusCode, response.body).toBe(201);
      expect((await orderRow(response.json<{ id: string }>().id)).provider).toBe('fivesim');
    } finally {
      tv.control.setBalance(1_000_000_000);
    }
  });

  it('both refuse → the order fails, its hold is released, the error says no numbers', async () => {
    const user = await fundedUser(1_000);
    tv.control.setStock('whatsapp', 0);
    fs.control.setStock('whatsapp', 0);
    const response = await buy(user);
    expect(response.statusCode, response.body).toBe(409);
    const error = response.json<{ error: { code: string; details?: { verificationId?: string } } }>().error;
    expect(error.code).toBe('out_of_stock');
    expect(tvCreates()).toHaveLength(1);
    expect(fsCalls('buy')).toHaveLength(1);
    const [order] = await sql<{ id: string; status: string; failure_code: string }>(
      `select id, status, failure_code from verifications where user_id = $1`,
      [user.userId],
    );
    expect(order).toMatchObject({ status: 'failed', failure_code: 'out_of_stock' });
    expect(await wallet(user.userId)).toEqual({ balance: 1_000, held: 0 });
    expect((await holdsOf(user.userId)).map((h) => h.status)).toEqual(['voided']);
    await expectLedgerOk();
  });

  it('canceled while 5sim is selling after TextVerified refused: refunded, and 5sim is told to cancel', async () => {
    const user = await fundedUser(1_000);
    tv.control.setStock('whatsapp', 0);
    fs.control.setBuyLatency(600);
    try {
      const purchase = buy(user);
      const pending = await eventuallyPending(user.userId);
      const canceled = await app.inject({
        method: 'POST',
        url: `/api/v1/verifications/${pending}/cancel`,
        headers: asPrincipal(user),
      });
      expect(canceled.statusCode, canceled.body).toBe(200);
      expect(await wallet(user.userId)).toEqual({ balance: 1_000, held: 0 });
      await purchase;
      const row = await orderRow(pending);
      expect(row).toMatchObject({ status: 'canceled', provider: 'fivesim' });
      expect(row.provider_id).not.toBeNull();
      expect(fs.control.order(row.provider_id!)!.status).toBe('CANCELED');
      expect(fsCalls('cancel')).toHaveLength(1);
      expect(await wallet(user.userId)).toEqual({ balance: 1_000, held: 0 });
      await expectLedgerOk();
    } finally {
      fs.control.setBuyLatency(0);
    }
  });

  it('never above the quote: a 5sim price that rose past it is not bought', async () => {
    const user = await fundedUser(1_000);
    tv.control.setStock('whatsapp', 0);
    fs.control.setPrice('whatsapp', WHATSAPP_PAYG + 1); // routing's cached offer still says 95
    const response = await buy(user);
    expect(response.statusCode, response.body).toBe(409);
    // 5sim was asked with the cap and had nothing within it.
    expect(fsCalls('buy')).toHaveLength(1);
    expect(fsCalls('buy')[0]!.url).toContain(`maxPrice=${WHATSAPP_PAYG / 100}`);
    expect([...fs.control.requests()].some((r) => r.path.startsWith('/v1/user/check/'))).toBe(false);
    expect(await wallet(user.userId)).toEqual({ balance: 1_000, held: 0 });
    await expectLedgerOk();
  });
});

describe('prices and unknown outcomes', () => {
  beforeEach(reset);

  it('the quote is the cheapest provider’s, and the purchase goes there first', async () => {
    fs.control.setPrice('whatsapp', 80);
    app.services.routing.invalidate();
    app.services.catalog.invalidate();
    expect(await quote()).toBe(120); // 0.80 × 1.5
    const user = await fundedUser(1_000);
    const response = await buy(user);
    expect(response.statusCode, response.body).toBe(201);
    expect(response.json<{ price: { amount: number } }>().price.amount).toBe(120);
    expect((await orderRow(response.json<{ id: string }>().id)).provider).toBe('fivesim');
    expect(tvCreates()).toHaveLength(0);
    expect(await wallet(user.userId)).toEqual({ balance: 1_000 - 120, held: 120 });
  });

  it('a 5sim purchase whose answer is unreadable stays pending; the reconciler finds its number at 5sim', async () => {
    await app.services.routing.setRule(db(), { service: 'whatsapp', pinned: 'fivesim', disabled: [] });
    const user = await fundedUser(1_000);
    fs.control.injectFault({ path: '/v1/user/buy/', mode: 'garbage', afterEffect: true });
    const response = await buy(user);
    expect(response.statusCode, response.body).toBe(202);
    const { id } = response.json<{ id: string }>();
    expect(await wallet(user.userId)).toEqual({ balance: 1_000 - WHATSAPP_PAYG, held: WHATSAPP_PAYG });
    // Too early: a purchase of that moment may still be waiting for its answer.
    expect(
      await app.services.verifications.reconcilePending({ olderThanMs: 0, attemptWindowMs: 60_000 }),
    ).toMatchObject({
      activated: 0,
      failed: 0,
    });
    await sleep(300);
    const result = await app.services.verifications.reconcilePending({
      olderThanMs: 0,
      attemptWindowMs: 200,
    });
    expect(result.activated).toBe(1);
    const row = await orderRow(id);
    expect(row).toMatchObject({ status: 'active', provider: 'fivesim' });
    const bought = fs.control.order(row.provider_id!)!;
    expect(bought.status).toBe('RECEIVED');
    expect(fsCalls('buy')).toHaveLength(1); // never bought a second time
    // It lives on as any order: its code arrives through 5sim.
    fs.control.deliverSms(row.provider_id!, { code: '246810' });
    await app.services.verifications.pollActive();
    expect((await orderRow(id)).status).toBe('completed');
    expect(await wallet(user.userId)).toEqual({ balance: 1_000 - WHATSAPP_PAYG, held: 0 });
    await expectLedgerOk();
  });

  it('a lost 5sim purchase that bought nothing is refunded by the reconciler (5sim cannot replay it)', async () => {
    await app.services.routing.setRule(db(), { service: 'whatsapp', pinned: 'fivesim', disabled: [] });
    const user = await fundedUser(1_000);
    fs.control.injectFault({ path: '/v1/user/buy/', mode: 'drop' }); // before the purchase
    const response = await buy(user);
    expect(response.statusCode, response.body).toBe(202);
    const { id } = response.json<{ id: string }>();
    await sleep(300);
    const result = await app.services.verifications.reconcilePending({
      olderThanMs: 0,
      attemptWindowMs: 200,
    });
    expect(result.failed).toBe(1);
    expect(await orderRow(id)).toMatchObject({ status: 'failed', provider: 'fivesim' });
    expect(fsCalls('buy')).toHaveLength(1);
    expect(await wallet(user.userId)).toEqual({ balance: 1_000, held: 0 });
    await expectLedgerOk();
  });
});

describe('an order bought from 5sim lives at 5sim', () => {
  beforeEach(async () => {
    await reset();
    await app.services.routing.setRule(db(), { service: 'whatsapp', pinned: 'fivesim', disabled: [] });
  });

  const boughtAt5sim = async (user: Principal) => {
    const response = await buy(user);
    expect(response.statusCode, response.body).toBe(201);
    const view = response.json<{ id: string }>();
    const row = await orderRow(view.id);
    expect(row.provider).toBe('fivesim');
    return { id: view.id, fsId: row.provider_id! };
  };

  it('is polled through 5sim: the code arrives, the hold is captured', async () => {
    const user = await fundedUser(1_000);
    const { id, fsId } = await boughtAt5sim(user);
    expect(tvCreates()).toHaveLength(0);
    fs.control.deliverSms(fsId, { code: '654321' });
    await app.services.verifications.pollActive();
    expect(fsCalls('check').some((r) => r.path === `/v1/user/check/${fsId}`)).toBe(true);
    const read = await app.inject({ url: `/api/v1/verifications/${id}`, headers: asPrincipal(user) });
    expect(read.json()).toMatchObject({ status: 'completed', code: '654321' });
    expect(await wallet(user.userId)).toEqual({ balance: 1_000 - WHATSAPP_PAYG, held: 0 });
    await expectLedgerOk();
  });

  it('is canceled through 5sim (refunded), reported through 5sim (a ban, refunded)', async () => {
    const user = await fundedUser(1_000);
    const a = await boughtAt5sim(user);
    const canceled = await app.inject({
      method: 'POST',
      url: `/api/v1/verifications/${a.id}/cancel`,
      headers: asPrincipal(user),
    });
    expect(canceled.statusCode, canceled.body).toBe(200);
    expect(fsCalls('cancel').map((r) => r.path)).toEqual([`/v1/user/cancel/${a.fsId}`]);
    expect(fs.control.order(a.fsId)!.status).toBe('CANCELED');

    const b = await boughtAt5sim(user);
    const reported = await app.inject({
      method: 'POST',
      url: `/api/v1/verifications/${b.id}/report`,
      headers: asPrincipal(user),
    });
    expect(reported.statusCode, reported.body).toBe(200);
    expect(fsCalls('ban').map((r) => r.path)).toEqual([`/v1/user/ban/${b.fsId}`]);
    expect(fs.control.order(b.fsId)!.status).toBe('BANNED');
    expect(tv.control.requests().filter((r) => r.method === 'POST')).toHaveLength(0);
    expect(await wallet(user.userId)).toEqual({ balance: 1_000, held: 0 });
    await expectLedgerOk();
  });

  it('expires after a last look at 5sim; the hold is released', async () => {
    const user = await fundedUser(1_000);
    const { id, fsId } = await boughtAt5sim(user);
    const endsAt = fs.control.order(fsId)!.expires;
    fs.control.clearRequests();
    await app.services.verifications.sweepExpired({ now: new Date(endsAt.getTime() + 1_000) });
    expect(fsCalls('check').map((r) => r.path)).toContain(`/v1/user/check/${fsId}`);
    expect((await orderRow(id)).status).toBe('expired');
    expect(await wallet(user.userId)).toEqual({ balance: 1_000, held: 0 });
  });
});

describe('admins pin or disable a provider per service', () => {
  beforeEach(reset);

  it('disable TextVerified → 5sim sells; pin TextVerified → no failover; clear → both again (audited)', async () => {
    const user = await fundedUser(2_000);
    const disable = await asAdmin('PUT', '/api/v1/admin/providers/routing/WhatsApp', {
      disabled: ['textverified'],
      reason: 'TextVerified numbers bounce for WhatsApp',
    });
    expect(disable.statusCode, disable.body).toBe(200);
    expect(disable.json()).toEqual({ service: 'whatsapp', pinned: null, disabled: ['textverified'] });
    const first = await buy(user);
    expect(first.statusCode, first.body).toBe(201);
    expect((await orderRow(first.json<{ id: string }>().id)).provider).toBe('fivesim');
    expect(tvCreates()).toHaveLength(0);

    const pin = await asAdmin('PUT', '/api/v1/admin/providers/routing/whatsapp', { pinned: 'textverified' });
    expect(pin.statusCode, pin.body).toBe(200);
    await quote(); // warm TextVerified's offer again, then let it run dry
    tv.control.setStock('whatsapp', 0);
    fs.control.clearRequests();
    const second = await buy(user);
    expect(second.statusCode, second.body).toBe(409);
    expect(second.json<{ error: { code: string } }>().error.code).toBe('out_of_stock');
    expect(fsCalls('buy')).toHaveLength(0); // pinned: 5sim is never asked

    const listed = await asAdmin('GET', '/api/v1/admin/providers/routing');
    expect(listed.statusCode, listed.body).toBe(200);
    expect(listed.json()).toMatchObject({
      providers: [
        { name: 'textverified', configured: true },
        { name: 'fivesim', configured: true, circuit: 'closed' },
      ],
      rules: [{ service: 'whatsapp', pinned: 'textverified', disabled: [] }],
    });
    const cleared = await asAdmin('PUT', '/api/v1/admin/providers/routing/whatsapp', {});
    expect(cleared.statusCode, cleared.body).toBe(200);
    expect((await asAdmin('GET', '/api/v1/admin/providers/routing')).json().rules).toEqual([]);

    const audit = await sql<{ details: { to: unknown; reason?: string } }>(
      `select details from audit_log where action = 'admin.provider_routing_set' and subject_id = 'whatsapp'
        order by at`,
    );
    expect(audit.map((a) => a.details.to)).toEqual([
      { pinned: null, disabled: ['textverified'] },
      { pinned: 'textverified', disabled: [] },
      { pinned: null, disabled: [] },
    ]);
    expect(audit[0]!.details.reason).toBe('TextVerified numbers bounce for WhatsApp');
  });

  it('the providers page shows 5sim’s balance and circuit beside TextVerified’s', async () => {
    const page = await asAdmin('GET', '/api/v1/admin/providers');
    expect(page.statusCode, page.body).toBe(200);
    expect(page.json().fiveSim).toEqual({
      configured: true,
      circuit: 'closed',
      healthy: true,
      balance: { amount: fs.control.getBalance(), currency: 'USD' },
      error: null,
    });
    expect(page.json().textVerified).toMatchObject({ configured: true, healthy: true });
  });

  it('refuses a rule that pins and disables the same provider, unknown providers, and non-admins', async () => {
    const both = await asAdmin('PUT', '/api/v1/admin/providers/routing/whatsapp', {
      pinned: 'fivesim',
      disabled: ['fivesim'],
    });
    expect(both.statusCode).toBe(400);
    const unknown = await asAdmin('PUT', '/api/v1/admin/providers/routing/whatsapp', { pinned: 'smshub' });
    expect(unknown.statusCode).toBe(400);
    const user = await fundedUser(1);
    const stranger = await app.inject({
      method: 'PUT',
      url: '/api/v1/admin/providers/routing/whatsapp',
      headers: asPrincipal(user),
      payload: { pinned: 'fivesim' },
    });
    expect([401, 403]).toContain(stranger.statusCode);
  });
});

describe('money races with two providers', () => {
  beforeEach(reset);

  /** A confirmed user of `tier` with no free credit, `cents` in the wallet and an API key. */
  async function customer(cents: number, tier: string) {
    const user = await app.services.accounts.createUser({
      email: `route-${randomUUID().slice(0, 8)}@example.test`,
      password: 'a long enough passphrase 7',
    });
    if (!user) throw new Error('user not created');
    await sql(`update users set email_confirmed_at = now(), tier = $2 where id = $1`, [user.id, tier]);
    await db().transaction((tx) =>
      app.services.ledger.adjust(tx, {
        ownerId: user.id,
        amount: -1,
        currency: 'CREDIT',
        memo: 'Test: no credit',
      }),
    );
    await fundWallet(db(), user.id, cents);
    const { key } = await app.services.apiKeys.create({
      userId: user.id,
      name: 'race',
      scopes: ['wallet:read', 'verifications:read', 'verifications:write'],
      ip: null,
    });
    return { userId: user.id, key };
  }

  it('1000 purchases (REST and handler_api getNumber) on a wallet for 300: no overdraft, every hold resolved', async () => {
    await app.services.tiers.update('custom', { maxActiveOrders: 100_000, purchaseRatePerMinute: 100_000 });
    try {
      // custom: 0.95 × 1.5 = 143 × 0.75 = 107.25 → 108 cents; the wallet affords 300.
      const price = 108;
      const c = await customer(300 * price, 'custom');
      // TextVerified sells 150 and then refuses: the rest fail over to 5sim inside their purchase.
      tv.control.setStock('whatsapp', 150);
      const attempts = Array.from({ length: 1000 }, (_, i) =>
        i % 2 === 0
          ? app
              .inject({
                url: `/stubs/handler_api.php?api_key=${encodeURIComponent(c.key)}&action=getNumber&service=wa&country=187`,
              })
              .then((r) => r.body)
          : app
              .inject({
                method: 'POST',
                url: '/api/v1/verifications',
                headers: { authorization: `Bearer ${c.key}` },
                payload: { service: 'whatsapp', country: 'US' },
              })
              .then((r) =>
                r.statusCode === 201 ? 'ACCESS_NUMBER' : r.json<{ error: { code: string } }>().error.code,
              ),
      );
      const answers = await Promise.all(attempts);
      const bought = answers.filter((a) => a.startsWith('ACCESS_NUMBER')).length;
      const refused = answers.filter((a) => a === 'NO_BALANCE' || a === 'insufficient_funds').length;
      expect({ bought, refused }).toEqual({ bought: 300, refused: 700 });
      expect(await wallet(c.userId)).toEqual({ balance: 0, held: 300 * price });

      const byProvider = await sql<{ provider: string; n: number }>(
        `select provider, count(*)::int as n from verifications where user_id = $1 and status = 'active'
          group by provider order by provider`,
        [c.userId],
      );
      expect(byProvider).toEqual([
        { provider: 'fivesim', n: 150 },
        { provider: 'textverified', n: 150 },
      ]);
      expect(
        (await sql(`select 1 from verifications where user_id = $1 and status <> 'active'`, [c.userId]))
          .length,
      ).toBe(0);
      await expectLedgerOk();

      // Every hold resolves: each number is given back through its own provider and refunded.
      const open = await sql<{ id: string }>(`select id from verifications where user_id = $1`, [c.userId]);
      for (const { id } of open) await app.services.verifications.cancelOrReport(c.userId, id, 'cancel');
      expect(fsCalls('cancel')).toHaveLength(150);
      expect(await wallet(c.userId)).toEqual({ balance: 300 * price, held: 0 });
      const holds = await holdsOf(c.userId);
      expect(holds).toHaveLength(300);
      expect(holds.every((h) => h.status === 'voided')).toBe(true);
      await expectLedgerOk();
    } finally {
      await app.services.tiers.update('custom', { maxActiveOrders: 100, purchaseRatePerMinute: 120 });
    }
  }, 300_000);
});

describe('when no provider may sell', () => {
  beforeEach(reset);

  const disableBoth = async () => {
    await app.services.routing.setRule(db(), {
      service: 'whatsapp',
      pinned: null,
      disabled: ['textverified', 'fivesim'],
    });
    app.services.routing.invalidate();
  };

  it('both disabled while a quote is still cached → 503 with Retry-After, nothing held or bought', async () => {
    await disableBoth();
    const user = await fundedUser(1_000);
    const response = await buy(user);
    expect(response.statusCode, response.body).toBe(503);
    expect(response.json<{ error: { code: string } }>().error.code).toBe('provider_unavailable');
    expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
    expect(await wallet(user.userId)).toEqual({ balance: 1_000, held: 0 });
    expect(tvCreates()).toHaveLength(0);
    expect(fsCalls('buy')).toHaveLength(0);
  });

  it('a retried purchase whose stored answer is gone gets its order back, though no provider may sell now', async () => {
    const user = await fundedUser(1_000);
    const key = randomUUID();
    const request = { service: 'whatsapp', country: 'US' };
    const first = await app.services.verifications.purchase(user, request, { idempotencyKey: key });
    await disableBoth();
    const again = await app.services.verifications.purchase(user, request, { idempotencyKey: key });
    expect(again.id).toBe(first.id);
    expect(again.status).toBe('active');
    expect(tvCreates()).toHaveLength(1);
    expect(await wallet(user.userId)).toEqual({ balance: 1_000 - WHATSAPP_PAYG, held: WHATSAPP_PAYG });
  });
});

describe('polling', () => {
  beforeEach(reset);

  it("one provider's SMS list failing leaves the other provider's orders polled; the code comes once it answers", async () => {
    const atTv = await fundedUser(1_000);
    const tvOrder = (await buy(atTv)).json<{ id: string }>().id;
    await app.services.routing.setRule(db(), { service: 'whatsapp', pinned: 'fivesim', disabled: [] });
    app.services.routing.invalidate();
    const atFs = await fundedUser(1_000);
    const fsOrder = (await buy(atFs)).json<{ id: string }>().id;
    const fsId = (await orderRow(fsOrder)).provider_id!;
    const tvId = (await orderRow(tvOrder)).provider_id!;
    expect([(await orderRow(tvOrder)).provider, (await orderRow(fsOrder)).provider]).toEqual([
      'textverified',
      'fivesim',
    ]);
    tv.control.deliverSms(tvId, { code: '112233' });
    fs.control.deliverSms(fsId, { code: '445566' });
    tv.control.injectFault({ path: 'sms', method: 'GET', mode: 'error', count: 100 });

    // TextVerified's orders are polled (a fallback to its webhook) a minute after their purchase, then each minute.
    const at = (minutes: number) => new Date(Date.now() + minutes * 61_000);
    await app.services.verifications.pollActive({ now: at(1) });
    expect(await orderRow(fsOrder)).toMatchObject({ status: 'completed' });
    expect(await orderRow(tvOrder)).toMatchObject({ status: 'active' });

    tv.control.clearFaults();
    await app.services.verifications.pollActive({ now: at(2) });
    expect(await orderRow(tvOrder)).toMatchObject({ status: 'completed' });
    expect(await wallet(atTv.userId)).toEqual({ balance: 1_000 - WHATSAPP_PAYG, held: 0 });
    await expectLedgerOk();
  });
});

describe('measured success', () => {
  beforeEach(reset);

  it('a provider whose numbers clearly deliver less goes second, even when cheaper; charged at the quote', async () => {
    const request = {
      service: 'telegram',
      country: 'US',
      capability: 'sms',
      areaCode: false,
      carrier: false,
    } as const;
    const tvCost = (await app.services.routing.candidates(request)).find(
      (c) => c.upstream.name === 'textverified',
    )!.facts.costCents!;
    // 5sim dearer than TextVerified (within the price the user pays): on price alone TextVerified goes first.
    fs.control.setStock('telegram', 1_000);
    fs.control.setPrice('telegram', tvCost + 10);
    app.services.routing.invalidate();
    expect((await app.services.routing.candidates(request)).map((c) => c.upstream.name)).toEqual([
      'textverified',
      'fivesim',
    ]);
    // Our own last week: TextVerified's telegram numbers got their code 10 times in 20, 5sim's 19 in 20.
    const now = new Date();
    const week = (provider: 'textverified' | 'fivesim', delivered: number) =>
      Array.from({ length: 20 }, (_, i) => ({
        service: 'telegram',
        country: 'US',
        provider,
        status: i < delivered ? ('completed' as const) : ('expired' as const),
        agoMs: (i + 1) * 3_600_000,
        secondsToCode: 40,
      }));
    await insertKnownOrders(db(), now, [...week('textverified', 10), ...week('fivesim', 19)]);
    app.services.deliveryStats.invalidate();
    try {
      const ranked = await app.services.routing.candidates(request);
      expect(ranked.map((c) => [c.upstream.name, c.facts.successRate])).toEqual([
        ['fivesim', 0.95],
        ['textverified', 0.5],
      ]);
      const quoted = await app.inject({ url: '/api/v1/catalog/quote?service=telegram&country=US' });
      const price = quoted.json<{ price: { amount: number } }>().price.amount;
      const user = await fundedUser(1_000);
      const response = await buy(user, { service: 'telegram', country: 'US' });
      expect(response.statusCode, response.body).toBe(201);
      expect((await orderRow(response.json<{ id: string }>().id)).provider).toBe('fivesim');
      expect(tvCreates()).toHaveLength(0);
      expect(await wallet(user.userId)).toEqual({ balance: 1_000 - price, held: price });
      await expectLedgerOk();
    } finally {
      await sql(`delete from verifications where service = 'telegram' and provider_id like 'up-%'`);
      app.services.deliveryStats.invalidate();
    }
  });
});

describe('an open circuit is routed around at once', () => {
  beforeEach(reset);

  // Last in the file: the breaker stays open (half-opens after 10 minutes).
  it('TextVerified circuit open → 5sim sells without waiting for a timeout', async () => {
    const user = await fundedUser(1_000);
    // Three failed calls open TextVerified's breaker.
    tv.control.injectFault({ path: 'account/me', mode: 'error', count: 3 });
    for (let i = 0; i < 3; i++) await tvClient.getBalance().catch(() => undefined);
    expect(tvClient.circuitState()).toBe('open');
    // Were TextVerified asked, it would hang until the client's timeout.
    tv.control.injectFault({ path: '/api/pub/v2/verifications', method: 'POST', mode: 'hang', count: 10 });
    tv.control.clearRequests();
    const started = Date.now();
    const response = await buy(user);
    const elapsed = Date.now() - started;
    expect(response.statusCode, response.body).toBe(201);
    expect(elapsed).toBeLessThan(TV_TIMEOUT_MS / 2);
    expect((await orderRow(response.json<{ id: string }>().id)).provider).toBe('fivesim');
    expect(tv.control.requests()).toHaveLength(0);
    expect(await wallet(user.userId)).toEqual({ balance: 1_000 - WHATSAPP_PAYG, held: WHATSAPP_PAYG });
    await expectLedgerOk();
  });
});
