/**
 * The SMS poller over real PostgreSQL, with the TextVerified and 5sim sandboxes behind the real
 * clients (no webhooks: only the poller brings SMS here): each provider's orders are polled at its
 * cadence, successive cycles rotate through more due orders than one cycle polls, and a failing
 * poll is marked like the rest. Time passes through the `now` the poller is given.
 */
import { eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type TestApp, createTestApp } from '../../../test/support/app.js';
import { type TestDatabase, createPostgresTestDatabase } from '../../../test/support/database.js';
import { asPrincipal, testPrincipal, trustTestPrincipalHeader } from '../../../test/support/principal.js';
import { fundWallet } from '../../../test/support/wallet.js';
import { createFiveSimClient } from '../../providers/fivesim/index.js';
import { createTextVerifiedClient } from '../../providers/textverified/index.js';
import { type FiveSimSandbox, startFiveSimSandbox } from '../../sandbox/fivesim/index.js';
import { type TextVerifiedSandbox, startTextVerifiedSandbox } from '../../sandbox/textverified/index.js';
import { checkLedgerInvariants } from '../ledger/index.js';
import type { ProviderName } from '../routing/index.js';
import { verifications } from './schema.js';

let testDb: TestDatabase;
let tv: TextVerifiedSandbox;
let fs: FiveSimSandbox;
let app: TestApp;

beforeAll(async () => {
  testDb = await createPostgresTestDatabase(8);
  tv = await startTextVerifiedSandbox({
    apiKey: 'tv-key',
    username: 'ops@namaskah.test',
    webhookSecret: 'whsec_poller',
    smsDelayMs: 3_600_000, // SMS only on command
    maxUnfinished: 1_000_000,
    balanceCents: 1_000_000_000,
  });
  fs = await startFiveSimSandbox({ apiKey: 'eyJ.poller', smsDelayMs: 3_600_000, balanceCents: 1_000_000 });
  app = await createTestApp({
    database: testDb.database,
    providers: {
      textVerified: createTextVerifiedClient({
        baseUrl: tv.url,
        apiKey: 'tv-key',
        username: 'ops@namaskah.test',
      }),
      fiveSim: createFiveSimClient({
        baseUrl: fs.url,
        apiKey: 'eyJ.poller',
        timeoutMs: 1_500,
        // The failing poll below must stay a failure of its own order, not open the circuit.
        circuitBreaker: { consecutiveFailures: 1_000_000 },
      }),
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
const poll = (opts: { now: Date; limit?: number }) => app.services.verifications.pollActive(opts);
const later = (at: Date, ms: number) => new Date(at.getTime() + ms);

/** Each test starts with no active order: the earlier ones' windows end (a real sweep releases them). */
beforeEach(async () => {
  tv.control.clearFaults();
  fs.control.clearFaults();
  await app.services.verifications.sweepExpired({ now: new Date(Date.now() + 24 * 3_600_000) });
  tv.control.setStock('whatsapp', 1_000_000);
  fs.control.setStock('whatsapp', 10_000);
  fs.control.setPrice('whatsapp', 95);
  fs.control.setBalance(1_000_000);
  tv.control.clearRequests();
  fs.control.clearRequests();
});

/** A new active order bought from `provider` (an admin's pin), by a user of its own. */
async function boughtAt(provider: ProviderName) {
  await app.services.routing.setRule(db(), { service: 'whatsapp', pinned: provider, disabled: [] });
  app.services.routing.invalidate();
  const user = testPrincipal({ tier: 'payg' });
  await fundWallet(db(), user.userId, 1_000);
  const response = await app.inject({
    method: 'POST',
    url: '/api/v1/verifications',
    headers: asPrincipal(user),
    payload: { service: 'whatsapp', country: 'US' },
  });
  expect(response.statusCode, response.body).toBe(201);
  const { id } = response.json<{ id: string }>();
  const row = await rowOf(id);
  expect(row).toMatchObject({ provider, status: 'active' });
  return { id, providerId: row.providerId! };
}

const rowOf = async (id: string) =>
  (await db().select().from(verifications).where(eq(verifications.id, id)))[0]!;

/** The 5sim order ids whose SMS the poller read since the last clear (`GET /user/check/<id>`). */
function fsChecked(): string[] {
  const prefix = '/v1/user/check/';
  return fs.control
    .requests()
    .filter((r) => r.path.startsWith(prefix))
    .map((r) => r.path.slice(prefix.length));
}

/** The TextVerified reservations whose SMS list was read since the last clear. */
function tvListed(): string[] {
  return tv.control
    .requests()
    .filter((r) => r.method === 'GET' && r.path.endsWith('/sms'))
    .map((r) => new URL(r.url, tv.url).searchParams.get('reservationId') ?? '');
}

describe('the SMS poller', () => {
  it('rotates: with more due orders than one cycle polls, successive cycles poll every one', async () => {
    const orders = [];
    for (let i = 0; i < 7; i++) orders.push(await boughtAt('fivesim'));
    const t0 = new Date();
    const checked: string[][] = [];
    for (let cycle = 0; cycle < 3; cycle++) {
      fs.control.clearRequests();
      expect(await poll({ now: later(t0, cycle * 5_000), limit: 3 })).toMatchObject({ polled: 3 });
      checked.push(fsChecked());
    }
    // Never-polled orders go first: the first two cycles poll six different orders…
    expect(new Set([...checked[0]!, ...checked[1]!]).size).toBe(6);
    // …and the third reaches the last one, then the least recently polled.
    expect(new Set(checked.flat())).toEqual(new Set(orders.map((o) => o.providerId)));
    const rows = await db()
      .select()
      .from(verifications)
      .where(
        inArray(
          verifications.id,
          orders.map((o) => o.id),
        ),
      );
    expect(rows.every((row) => row.polledAt !== null)).toBe(true);
  });

  it('polls a TextVerified order (webhooks) a minute after its purchase, then each minute', async () => {
    const order = await boughtAt('textverified');
    const t0 = new Date();
    // Just bought: its webhook normally comes first.
    expect(await poll({ now: t0 })).toMatchObject({ polled: 0 });
    expect(tvListed()).toEqual([]);
    expect((await rowOf(order.id)).polledAt).toBeNull();

    const first = later(t0, 61_000);
    expect(await poll({ now: first })).toMatchObject({ polled: 1 });
    expect(tvListed()).toEqual([order.providerId]);
    expect((await rowOf(order.id)).polledAt).toEqual(first);

    tv.control.clearRequests();
    expect(await poll({ now: later(first, 59_000) })).toMatchObject({ polled: 0 });
    expect(tvListed()).toEqual([]);

    // A lost webhook: the next fallback poll brings the code.
    tv.control.deliverSms(order.providerId, { code: '778899' });
    expect(await poll({ now: later(first, 60_000) })).toMatchObject({ polled: 1, taken: 1 });
    expect(tvListed()).toEqual([order.providerId]);
    expect(await rowOf(order.id)).toMatchObject({ status: 'completed', code: '778899' });
  });

  it('polls a 5sim order (no webhooks) at once, then not again within 5 s', async () => {
    const order = await boughtAt('fivesim');
    const t0 = new Date();
    expect(await poll({ now: t0 })).toMatchObject({ polled: 1 });
    expect(fsChecked()).toEqual([order.providerId]);

    fs.control.clearRequests();
    expect(await poll({ now: later(t0, 4_999) })).toMatchObject({ polled: 0 });
    expect(fsChecked()).toEqual([]);

    expect(await poll({ now: later(t0, 5_000) })).toMatchObject({ polled: 1 });
    expect(fsChecked()).toEqual([order.providerId]);
  });

  it('marks a failed poll like the others, which are taken in; it is retried at its next due time', async () => {
    const ok = [await boughtAt('fivesim'), await boughtAt('fivesim')];
    // The last bought has the largest 5sim id: no other order's check path starts with its own.
    const failing = await boughtAt('fivesim');
    for (const [i, order] of [...ok, failing].entries()) {
      fs.control.deliverSms(order.providerId, { code: `12345${i}` });
    }
    fs.control.injectFault({ path: `/v1/user/check/${failing.providerId}`, mode: 'error', count: 100 });
    const t0 = new Date();
    expect(await poll({ now: t0 })).toEqual({ polled: 3, taken: 2, failed: 1 });
    for (const order of ok) expect(await rowOf(order.id)).toMatchObject({ status: 'completed' });
    expect(await rowOf(failing.id)).toMatchObject({ status: 'active', polledAt: t0 });

    fs.control.clearFaults();
    expect(await poll({ now: later(t0, 1_000) })).toMatchObject({ polled: 0 });
    expect(await poll({ now: later(t0, 5_000) })).toEqual({ polled: 1, taken: 1, failed: 0 });
    expect(await rowOf(failing.id)).toMatchObject({ status: 'completed', code: '123452' });
    const report = await checkLedgerInvariants(db());
    expect(report.violations).toEqual([]);
  });
});

describe('an SMS that outruns its purchase', () => {
  it('is taken in once the order is known, without waiting for the poller', async () => {
    const order = await boughtAt('textverified');
    const row = await rowOf(order.id);
    // As the order was before its activation committed: no provider id yet.
    await db()
      .update(verifications)
      .set({ providerId: null, status: 'pending' })
      .where(eq(verifications.id, order.id));
    const sms = {
      provider: 'textverified' as const,
      reservationId: order.providerId,
      to: row.phoneNumber,
      createdAt: new Date(),
      text: 'Your WhatsApp code is 424-242',
      parsedCode: '424242',
      from: 'WhatsApp',
    };
    expect(await app.services.verifications.intakeSms(sms)).toBe('unknown_reservation');
    // The activation commits.
    await db()
      .update(verifications)
      .set({ providerId: order.providerId, status: 'active' })
      .where(eq(verifications.id, order.id));
    await expect
      .poll(async () => (await rowOf(order.id)).status, { timeout: 6_000, interval: 100 })
      .toBe('completed');
    expect(await rowOf(order.id)).toMatchObject({ code: '424242' });
    expect((await checkLedgerInvariants(db())).violations).toEqual([]);
  });
});
