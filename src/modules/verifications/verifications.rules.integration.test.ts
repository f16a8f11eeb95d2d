import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { asPrincipal, testPrincipal } from '../../../test/support/principal.js';
import { rawRows } from '../../platform/db/raw.js';
import type { VerificationView } from './views.js';
import {
  useVerificationsSuite,
  ledger,
  db,
  app,
  fundedUser,
  buy,
  bought,
  read,
} from './verifications.suite.js';

useVerificationsSuite();

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

  it('counts only open orders against the active-order limit, not finished ones', async () => {
    // Freemium: 3 open orders at most (and 5 purchase attempts a minute: this uses all 5).
    const user = await fundedUser(10_000, 'freemium');
    const first = [await bought(user), await bought(user), await bought(user)];
    for (const view of first.slice(0, 2)) {
      const canceled = await app.inject({
        method: 'POST',
        url: `/api/v1/verifications/${view.id}/cancel`,
        headers: asPrincipal(user),
      });
      expect(canceled.statusCode).toBe(200);
    }
    for (let i = 0; i < 2; i++) expect((await buy(user)).statusCode).toBe(201);
    const [open] = await rawRows<{ n: number }>(
      db,
      sql`select count(*)::int as n from verifications where user_id = ${user.userId} and status in ('pending', 'active')`,
    );
    expect(open?.n).toBe(3);
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

  it('pages exactly through orders created in the same millisecond (the cursor keeps microseconds)', async () => {
    const user = await fundedUser(5_000);
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push((await bought(user)).id);
    // All within one millisecond, some microseconds apart and two at the very same microsecond.
    const micros = [0, 100, 200, 200, 300, 999];
    for (const [i, id] of ids.entries()) {
      await db.execute(
        sql`update verifications set created_at = '2030-01-01T00:00:00.123Z'::timestamptz
              + make_interval(secs => ${micros[i]! / 1e6}) where id = ${id}`,
      );
    }
    const newestFirst = ids
      .map((id, i) => ({ id, at: micros[i]! }))
      .sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : -1))
      .map((row) => row.id);
    for (const limit of [1, 2, 4]) {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const response = await app.inject({
          url: `/api/v1/verifications?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`,
          headers: asPrincipal(user),
        });
        expect(response.statusCode, response.body).toBe(200);
        const page: { data: VerificationView[]; nextCursor: string | null } = response.json();
        seen.push(...page.data.map((v) => v.id));
        cursor = page.nextCursor;
      } while (cursor && seen.length <= ids.length);
      expect(seen).toEqual(newestFirst);
    }
    // A cursor in the millisecond form of before still reads; one that is not ours is a 400.
    const older = Buffer.from(`2030-01-01T00:00:00.124Z|${newestFirst[0]}`).toString('base64url');
    const fromOld = await app.inject({
      url: `/api/v1/verifications?cursor=${older}`,
      headers: asPrincipal(user),
    });
    expect(fromOld.json<{ data: VerificationView[] }>().data.map((v) => v.id)).toEqual(newestFirst);
    for (const bad of ['2030-01-01 00:00:00|x', `0000-01-01T00:00:00.000Z|${ids[0]}`, `tomorrow|${ids[0]}`]) {
      const cursor = Buffer.from(bad).toString('base64url');
      const response = await app.inject({
        url: `/api/v1/verifications?cursor=${cursor}`,
        headers: asPrincipal(user),
      });
      expect([response.statusCode, response.json<{ error: { code: string } }>().error.code]).toEqual([
        400,
        'validation_failed',
      ]);
    }
  });
});
