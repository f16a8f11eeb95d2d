/**
 * Reuse of a number bought from 5sim, over HTTP on real PostgreSQL, with the TextVerified and 5sim
 * sandboxes behind the real clients: the renewal is bought from 5sim (`/user/reuse`), priced by the
 * quote, held, captured on its code or released; not eligible → 409 with nothing held; refused by
 * 5sim after the hold → failed and released; a lost answer is found by listing 5sim's orders.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type TestApp, createTestApp } from '../../../test/support/app.js';
import { type TestDatabase, createPostgresTestDatabase } from '../../../test/support/database.js';
import { asPrincipal, testPrincipal, trustTestPrincipalHeader } from '../../../test/support/principal.js';
import { fundWallet } from '../../../test/support/wallet.js';
import type { Principal } from '../../platform/http/principal.js';
import { type FiveSimClient, createFiveSimClient } from '../../providers/fivesim/index.js';
import { createTextVerifiedClient } from '../../providers/textverified/index.js';
import { type FiveSimSandbox, startFiveSimSandbox } from '../../sandbox/fivesim/index.js';
import { type TextVerifiedSandbox, startTextVerifiedSandbox } from '../../sandbox/textverified/index.js';
import { checkLedgerInvariants } from '../ledger/index.js';
import { verifications } from './schema.js';
import type { VerificationView } from './views.js';

/** payg: 0.95 × 1.5 = 142.5 → 143 cents for WhatsApp (both sandboxes at 95 cents). */
const WHATSAPP_PAYG = 143;

let testDb: TestDatabase;
let tv: TextVerifiedSandbox;
let fs: FiveSimSandbox;
let fiveSim: FiveSimClient;
let app: TestApp;
/** Added to the 5sim sandbox's clock (to stamp an SMS in the past). */
let fsSkewMs = 0;

beforeAll(async () => {
  testDb = await createPostgresTestDatabase(8);
  tv = await startTextVerifiedSandbox({
    apiKey: 'tv-key',
    username: 'ops@namaskah.test',
    webhookSecret: 'whsec_fivesim_renewals',
    smsDelayMs: 3_600_000, // SMS only on command
    maxUnfinished: 1_000_000,
    balanceCents: 1_000_000_000,
  });
  fs = await startFiveSimSandbox({
    apiKey: 'eyJ.renewals',
    smsDelayMs: 3_600_000,
    balanceCents: 1_000_000,
    hangMs: 10_000,
    now: () => new Date(Date.now() + fsSkewMs),
  });
  fiveSim = createFiveSimClient({
    baseUrl: fs.url,
    apiKey: 'eyJ.renewals',
    timeoutMs: 1_500,
    circuitBreaker: { consecutiveFailures: 1_000_000 },
  });
  app = await createTestApp({
    database: testDb.database,
    providers: {
      textVerified: createTextVerifiedClient({
        baseUrl: tv.url,
        apiKey: 'tv-key',
        username: 'ops@namaskah.test',
      }),
      fiveSim,
    },
    env: { RATE_LIMIT_GLOBAL_PER_MINUTE: '0' },
  });
  trustTestPrincipalHeader(app);
  await app.ready();
}, 60_000);

afterAll(async () => {
  await app?.close();
  await tv?.close();
  await fs?.close();
  await testDb?.dispose();
});

const db = () => testDb.database.db;

/** Both stocked at the same price, WhatsApp pinned to 5sim (an admin's rule), fresh caches. */
beforeEach(async () => {
  fsSkewMs = 0;
  fs.control.clearFaults();
  tv.control.setStock('whatsapp', 1_000_000);
  fs.control.setStock('whatsapp', 10_000);
  fs.control.setPrice('whatsapp', 95);
  fs.control.setBalance(1_000_000);
  await app.services.routing.setRule(db(), { service: 'whatsapp', pinned: 'fivesim', disabled: [] });
  app.services.routing.invalidate();
  app.services.catalog.invalidate();
  fs.control.clearRequests();
});

async function fundedUser(cents = 1_000): Promise<Principal> {
  const principal = testPrincipal({ tier: 'payg' });
  await fundWallet(db(), principal.userId, cents);
  return principal;
}

const wallet = async (userId: string) => {
  const { balance, held } = await app.services.ledger.walletSummary(db(), userId);
  return { balance, held };
};

const rowOf = async (id: string) =>
  (await db().select().from(verifications).where(eq(verifications.id, id)))[0]!;
const renewalsOf = (originalId: string) =>
  db().select().from(verifications).where(eq(verifications.reusedFrom, originalId));

const read = async (user: Principal, id: string) => {
  const response = await app.inject({ url: `/api/v1/verifications/${id}`, headers: asPrincipal(user) });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<VerificationView>();
};

const reuse = (user: Principal, id: string, key: string) =>
  app.inject({
    method: 'POST',
    url: `/api/v1/verifications/${id}/reuse`,
    headers: { ...asPrincipal(user), 'idempotency-key': key },
  });

const errorCode = (response: { json: <T>() => T }) => response.json<{ error: { code: string } }>().error.code;
const fsCalls = (kind: 'buy' | 'reuse' | 'finish') =>
  fs.control.requests().filter((r) => r.path.startsWith(`/v1/user/${kind}/`));

async function expectLedgerOk() {
  const report = await checkLedgerInvariants(db());
  expect(report.violations).toEqual([]);
  expect(report.ok).toBe(true);
}

/** The order's code arrives at 5sim and is read by the poller. */
async function completes(user: Principal, id: string, code: string) {
  fs.control.deliverSms((await rowOf(id)).providerId!, { code });
  await app.services.verifications.pollActive();
  const view = await read(user, id);
  expect(view).toMatchObject({ status: 'completed', code });
  return view;
}

/** A completed WhatsApp order bought from 5sim (143 cents captured). */
async function completedAt5sim(user: Principal, code = '482913') {
  const response = await app.inject({
    method: 'POST',
    url: '/api/v1/verifications',
    headers: asPrincipal(user),
    payload: { service: 'whatsapp', country: 'US' },
  });
  expect(response.statusCode, response.body).toBe(201);
  const view = response.json<VerificationView>();
  expect((await rowOf(view.id)).provider).toBe('fivesim');
  return completes(user, view.id, code);
}

describe('reuse of a number bought from 5sim', () => {
  it('bought with reuse=1 after TextVerified ran out; reused: new order, same number, charged once', async () => {
    await app.services.routing.setRule(db(), { service: 'whatsapp', pinned: null, disabled: [] });
    tv.control.setStock('whatsapp', 0);
    const user = await fundedUser();
    const original = await completedAt5sim(user);
    expect(fsCalls('buy')).toHaveLength(1);
    expect(fsCalls('buy')[0]!.url).toContain('reuse=1');
    expect(await wallet(user.userId)).toEqual({ balance: 1_000 - WHATSAPP_PAYG, held: 0 });
    const offered = await read(user, original.id);
    expect(offered.renewable?.reusableUntil).toBeTruthy();
    expect(offered.renewable?.canReactivate).toBe(false);

    const fsBalance = fs.control.getBalance();
    const response = await reuse(user, original.id, 'fs-reuse-1');
    expect(response.statusCode, response.body).toBe(201);
    const again = response.json<VerificationView>();
    expect(again).toMatchObject({
      status: 'active',
      phoneNumber: original.phoneNumber,
      reusedFrom: original.id,
      renewal: 'reuse',
      price: { amount: WHATSAPP_PAYG, currency: 'USD' },
    });
    const originalRow = await rowOf(original.id);
    const againRow = await rowOf(again.id);
    expect(againRow.provider).toBe('fivesim');
    expect(againRow.providerId).not.toBe(originalRow.providerId);
    // 5sim was asked once, with the number's digits; it charged the product's price.
    expect(fsCalls('reuse').map((r) => r.path)).toEqual([
      `/v1/user/reuse/whatsapp/${original.phoneNumber!.slice(1)}`,
    ]);
    expect(fs.control.order(originalRow.providerId!)!.status).toBe('FINISHED');
    expect(fs.control.getBalance()).toBe(fsBalance - 95);
    expect(await wallet(user.userId)).toEqual({ balance: 1_000 - 2 * WHATSAPP_PAYG, held: WHATSAPP_PAYG });

    const done = await completes(user, again.id, '777111');
    expect(done.code).toBe('777111');
    expect(await wallet(user.userId)).toEqual({ balance: 1_000 - 2 * WHATSAPP_PAYG, held: 0 });
    // The original's number moved on: not offered again, refused with nothing charged.
    const spent = await read(user, original.id);
    expect(spent.code).toBe('482913');
    expect(spent.renewable).toEqual({ reusableUntil: null, canReactivate: false });
    const refused = await reuse(user, original.id, 'fs-reuse-again');
    expect(refused.statusCode).toBe(409);
    expect(errorCode(refused)).toBe('reuse_not_available');
    // The renewal itself is offered in turn.
    expect((await read(user, again.id)).renewable?.reusableUntil).toBeTruthy();
    expect(fsCalls('reuse')).toHaveLength(1);
    expect(await renewalsOf(original.id)).toHaveLength(1);
    expect(await wallet(user.userId)).toEqual({ balance: 1_000 - 2 * WHATSAPP_PAYG, held: 0 });
    await expectLedgerOk();
  });

  it('two reuses with different keys at once: one bought, the other refused and released', async () => {
    const user = await fundedUser();
    const original = await completedAt5sim(user);
    const [a, b] = await Promise.all([reuse(user, original.id, 'k-a'), reuse(user, original.id, 'k-b')]);
    expect([a.statusCode, b.statusCode].sort()).toEqual([201, 409]);
    expect(errorCode(a.statusCode === 409 ? a : b)).toBe('reuse_not_available');
    const rows = await renewalsOf(original.id);
    expect(rows.filter((r) => r.status === 'active')).toHaveLength(1);
    for (const row of rows.filter((r) => r.status !== 'active')) {
      expect(row).toMatchObject({ status: 'failed', failureCode: 'reuse_not_available' });
    }
    expect(await wallet(user.userId)).toEqual({ balance: 1_000 - 2 * WHATSAPP_PAYG, held: WHATSAPP_PAYG });
    await expectLedgerOk();
  });
});

describe('not eligible: 409 reuse_not_available, nothing held, 5sim not asked to reuse', () => {
  it('an order still active, one whose code came past the window, one banned at 5sim', async () => {
    const user = await fundedUser(2_000);
    const active = await app.inject({
      method: 'POST',
      url: '/api/v1/verifications',
      headers: asPrincipal(user),
      payload: { service: 'whatsapp', country: 'US' },
    });
    expect(active.statusCode, active.body).toBe(201);
    const activeId = active.json<VerificationView>().id;

    // Its SMS came 16 minutes ago (the 5sim clock set back while it was delivered).
    const bought = await app.inject({
      method: 'POST',
      url: '/api/v1/verifications',
      headers: asPrincipal(user),
      payload: { service: 'whatsapp', country: 'US' },
    });
    expect(bought.statusCode, bought.body).toBe(201);
    const oldId = bought.json<VerificationView>().id;
    fsSkewMs = -16 * 60_000;
    fs.control.deliverSms((await rowOf(oldId)).providerId!, { code: '565656' });
    fsSkewMs = 0;
    await app.services.verifications.pollActive();
    expect((await read(user, oldId)).status).toBe('completed');

    const banned = await completedAt5sim(user, '909090');
    await fiveSim.banOrder((await rowOf(banned.id)).providerId!);

    const before = await wallet(user.userId);
    fs.control.clearRequests();
    for (const [id, key] of [
      [activeId, 'active'],
      [oldId, 'late'],
      [banned.id, 'banned'],
    ] as const) {
      const response = await reuse(user, id, key);
      expect(response.statusCode, `${key}: ${response.body}`).toBe(409);
      expect(errorCode(response)).toBe('reuse_not_available');
      expect(await renewalsOf(id)).toHaveLength(0);
    }
    expect((await read(user, oldId)).renewable).toEqual({ reusableUntil: null, canReactivate: false });
    expect(fsCalls('reuse')).toHaveLength(0);
    expect(fsCalls('finish')).toHaveLength(0);
    expect(await wallet(user.userId)).toEqual(before);
    await expectLedgerOk();
  });
});

describe('5sim refuses after the hold', () => {
  it('reuse expired at 5sim → 409, the order failed and released; no balance there → 503, released', async () => {
    const user = await fundedUser();
    const original = await completedAt5sim(user);
    const fsId = (await rowOf(original.id)).providerId!;
    fs.control.endReuseWindow(fsId);
    const expired = await reuse(user, original.id, 'expired-upstream');
    expect(expired.statusCode, expired.body).toBe(409);
    expect(errorCode(expired)).toBe('reuse_not_available');
    expect(fsCalls('reuse')).toHaveLength(1);
    const [failed] = await renewalsOf(original.id);
    expect(failed).toMatchObject({ status: 'failed', failureCode: 'reuse_not_available' });
    expect(await wallet(user.userId)).toEqual({ balance: 1_000 - WHATSAPP_PAYG, held: 0 });

    const second = await completedAt5sim(user, '121212');
    fs.control.setBalance(0);
    const poor = await reuse(user, second.id, 'poor-upstream');
    expect(poor.statusCode, poor.body).toBe(503);
    expect(errorCode(poor)).toBe('provider_unavailable');
    const [released] = await renewalsOf(second.id);
    expect(released).toMatchObject({ status: 'failed', failureCode: 'provider_unavailable' });
    expect(await wallet(user.userId)).toEqual({ balance: 1_000 - 2 * WHATSAPP_PAYG, held: 0 });
    // The same key answers the same refusal; nothing more is asked of 5sim.
    const replay = await reuse(user, second.id, 'poor-upstream');
    expect(replay.statusCode).toBe(503);
    expect(fsCalls('reuse')).toHaveLength(2);
    await expectLedgerOk();
  });
});

describe('unknown outcome', () => {
  it('a reuse whose answer was lost is found by listing 5sim and activated; one never made fails', async () => {
    const user = await fundedUser();
    const original = await completedAt5sim(user);
    fs.control.injectFault({ path: '/v1/user/reuse/', mode: 'hang', afterEffect: true });
    const lost = await reuse(user, original.id, 'lost');
    expect(lost.statusCode, lost.body).toBe(202);
    const pending = lost.json<VerificationView>();
    expect(pending.status).toBe('pending');
    expect(await wallet(user.userId)).toEqual({ balance: 1_000 - 2 * WHATSAPP_PAYG, held: WHATSAPP_PAYG });
    const first = await app.services.verifications.reconcilePending({ olderThanMs: 0 });
    expect(first.activated).toBe(1);
    expect(await read(user, pending.id)).toMatchObject({
      status: 'active',
      phoneNumber: original.phoneNumber,
    });
    const found = await rowOf(pending.id);
    expect(fs.control.order(found.providerId!)!.phone).toBe(original.phoneNumber);
    expect(fsCalls('reuse')).toHaveLength(1); // found, never reused again

    // Sent but never applied at 5sim: the reconciler finds nothing and releases the hold.
    const other = await fundedUser();
    const second = await completedAt5sim(other, '343434');
    fs.control.injectFault({ path: '/v1/user/reuse/', mode: 'hang' });
    const never = await reuse(other, second.id, 'never');
    expect(never.statusCode, never.body).toBe(202);
    const result = await app.services.verifications.reconcilePending({ olderThanMs: 0 });
    expect(result.failed).toBe(1);
    expect((await read(other, never.json<VerificationView>().id)).status).toBe('failed');
    expect(await wallet(other.userId)).toEqual({ balance: 1_000 - WHATSAPP_PAYG, held: 0 });
    await expectLedgerOk();
  });
  it('canceled while its reuse was in flight: refunded now, the number found at 5sim and canceled', async () => {
    const user = await fundedUser();
    const original = await completedAt5sim(user);
    fs.control.injectFault({ path: '/v1/user/reuse/', mode: 'hang', afterEffect: true });
    const lost = await reuse(user, original.id, 'lost-then-canceled');
    expect(lost.statusCode, lost.body).toBe(202);
    const id = lost.json<VerificationView>().id;
    const canceled = await app.inject({
      method: 'POST',
      url: `/api/v1/verifications/${id}/cancel`,
      headers: asPrincipal(user),
    });
    expect(canceled.statusCode, canceled.body).toBe(200);
    expect(await wallet(user.userId)).toEqual({ balance: 1_000 - WHATSAPP_PAYG, held: 0 });

    fs.control.clearRequests();
    const fsBalance = fs.control.getBalance();
    await app.services.verifications.retryUpstreamActions({ unboughtAfterMs: 0 });
    // Found by listing, never by reusing (or buying) again; 5sim refunds the canceled number.
    expect(fsCalls('reuse')).toHaveLength(0);
    expect(fsCalls('buy')).toHaveLength(0);
    const row = await rowOf(id);
    expect(row).toMatchObject({ status: 'canceled', upstreamAction: null });
    expect(fs.control.order(row.providerId!)).toMatchObject({
      status: 'CANCELED',
      phone: original.phoneNumber,
    });
    expect(fs.control.getBalance()).toBe(fsBalance + 95);
    await expectLedgerOk();
  });
});
