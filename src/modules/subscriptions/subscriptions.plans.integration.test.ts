import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { INCLUDED_USAGE_CURRENCY } from '../ledger/index.js';
import {
  app,
  balanceOf,
  chargesOf,
  expectLedgerClean,
  signedUpUser,
  subscribe,
  subscriptionOf,
  testDb,
  tierPrice,
  useSubscriptionsSuite,
} from './subscriptions.suite.js';

useSubscriptionsSuite();

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
