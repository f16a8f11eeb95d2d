import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { testPrincipal } from '../../../test/support/principal.js';
import type { Principal } from '../../platform/http/principal.js';
import { type TopupView } from './service.js';
import * as store from './store.js';
import { checkLedgerInvariants } from '../ledger/index.js';
import {
  useTopupsSuite,
  ledger,
  db,
  sandbox,
  app,
  reconciler,
  createTopup,
  type TopupBody,
  initialized,
  get,
  available,
  topupLines,
  callback,
} from './topups.suite.js';

useTopupsSuite();

describe('wallet top-ups through Paystack', () => {
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
