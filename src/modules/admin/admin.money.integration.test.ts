import { describe, expect, it } from 'vitest';
import { signInAdmin, signInUser } from '../../../test/support/admin.js';
import { randomUUID } from 'node:crypto';
import { fundWallet } from '../../../test/support/wallet.js';
import { checkLedgerInvariants } from '../ledger/index.js';
import { ADMIN_PREFIX } from './index.js';
import { adjustmentsOf, admin, app, balanceOf, call, query, testDb, useAdminSuite } from './admin.suite.js';

useAdminSuite();

describe('balance adjustments', () => {
  const adjust = (userId: string, payload: unknown, key: string | undefined) =>
    call(admin, {
      method: 'POST',
      url: `${ADMIN_PREFIX}/users/${userId}/adjustments`,
      payload,
      headers: key === undefined ? {} : { 'idempotency-key': key },
    });

  it('posts one ledger transaction and one audit entry, however often the request is replayed', async () => {
    const user = await signInUser(app);
    const key = randomUUID();
    const body = { amount: 250, reason: 'goodwill credit for ticket 42' };
    const first = await adjust(user.userId, body, key);
    expect(first.statusCode, first.body).toBe(201);
    expect(first.json()).toMatchObject({
      userId: user.userId,
      amount: { amount: 250, currency: 'USD' },
      balance: { amount: 250, currency: 'USD' },
      duplicate: false,
    });
    const replay = await adjust(user.userId, body, key);
    expect(replay.statusCode).toBe(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.json()).toEqual(first.json());
    expect(await adjustmentsOf(user.userId)).toEqual({ transactions: 1, auditEntries: 1 });

    // The same request once its idempotency record is gone (expired): the ledger's key holds.
    await query(`delete from idempotency_keys where key = $1`, [key]);
    const late = await adjust(user.userId, body, key);
    expect(late.statusCode, late.body).toBe(201);
    expect(late.json()).toMatchObject({ transactionId: first.json().transactionId, duplicate: true });
    // And straight through the service, around the HTTP layer altogether.
    const direct = await app.services.admin.adjustBalance(
      { userId: admin.userId, ip: null },
      { userId: user.userId, ...body, requestKey: key },
    );
    expect(direct).toMatchObject({ transactionId: first.json().transactionId, duplicate: true });
    expect(await adjustmentsOf(user.userId)).toEqual({ transactions: 1, auditEntries: 1 });
    expect(await balanceOf(user.userId)).toBe(250);

    const audit = await call(admin, {
      url: `${ADMIN_PREFIX}/audit-log?action=admin.balance_adjusted&subjectId=${user.userId}`,
    });
    expect(audit.json<{ data: unknown[] }>().data).toEqual([
      expect.objectContaining({
        actorId: admin.userId,
        subjectType: 'user',
        ip: expect.any(String),
        details: {
          amount: 250,
          currency: 'USD',
          reason: body.reason,
          transactionId: first.json().transactionId,
        },
      }),
    ]);
  });

  it('concurrent identical requests post once', async () => {
    const user = await signInUser(app);
    const key = randomUUID();
    const body = { amount: 125, reason: 'refund of a failed order' };
    const responses = await Promise.all(Array.from({ length: 8 }, () => adjust(user.userId, body, key)));
    for (const response of responses) expect([201, 409], response.body).toContain(response.statusCode);
    expect(responses.filter((r) => r.statusCode === 201).length).toBeGreaterThanOrEqual(1);
    expect(await adjustmentsOf(user.userId)).toEqual({ transactions: 1, auditEntries: 1 });
    expect(await balanceOf(user.userId)).toBe(125);
    // Around the idempotency layer too: the same request through the service, all at once.
    const direct = await Promise.all(
      Array.from({ length: 8 }, () =>
        app.services.admin.adjustBalance(
          { userId: admin.userId, ip: null },
          { userId: user.userId, amount: 40, reason: 'direct race', requestKey: 'race-key' },
        ),
      ),
    );
    expect(direct.filter((d) => !d.duplicate)).toHaveLength(1);
    expect(await adjustmentsOf(user.userId)).toEqual({ transactions: 2, auditEntries: 2 });
    expect(await balanceOf(user.userId)).toBe(165);
  });

  it('a debit never takes the wallet below zero, and a refused one leaves no trace', async () => {
    const user = await signInUser(app);
    await fundWallet(testDb.database.db, user.userId, 300);
    const tooMuch = await adjust(user.userId, { amount: -301, reason: 'claw back promo' }, randomUUID());
    expect(tooMuch.statusCode).toBe(402);
    expect(tooMuch.json().error.code).toBe('insufficient_funds');
    expect(await adjustmentsOf(user.userId)).toEqual({ transactions: 0, auditEntries: 0 });
    const all = await adjust(user.userId, { amount: -300, reason: 'claw back promo' }, randomUUID());
    expect(all.statusCode, all.body).toBe(201);
    expect(all.json().balance).toEqual({ amount: 0, currency: 'USD' });
    // A user who never had a USD wallet has nothing to debit.
    const fresh = await signInUser(app);
    expect(
      (await adjust(fresh.userId, { amount: -1, reason: 'nothing there' }, randomUUID())).statusCode,
    ).toBe(402);
  });

  it('refuses a missing key, a zero or oversized amount, no reason, and an unknown user', async () => {
    const user = await signInUser(app);
    expect((await adjust(user.userId, { amount: 100, reason: 'no key given' }, undefined)).statusCode).toBe(
      400,
    );
    for (const payload of [
      { amount: 0, reason: 'zero' },
      { amount: 10_000_001, reason: 'a fortune' },
      { amount: 1.5, reason: 'fractional cents' },
      { amount: 100 },
      { amount: 100, reason: 'x', extra: true },
    ]) {
      const response = await adjust(user.userId, payload, randomUUID());
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
    }
    const unknown = await adjust(randomUUID(), { amount: 100, reason: 'who is this' }, randomUUID());
    expect(unknown.statusCode).toBe(404);
    expect(await adjustmentsOf(user.userId)).toEqual({ transactions: 0, auditEntries: 0 });
  });
});

describe('the audit log and the ledger check', () => {
  it('filters by actor, action, subject and time, and pages without gaps or repeats', async () => {
    const other = await signInAdmin(app);
    const user = await signInUser(app);
    for (let i = 0; i < 3; i++) {
      await call(other, {
        method: 'POST',
        url: `${ADMIN_PREFIX}/users/${user.userId}/adjustments`,
        payload: { amount: 10 + i, reason: `audit page test ${i}` },
        headers: { 'idempotency-key': randomUUID() },
      });
    }
    await call(other, {
      method: 'POST',
      url: `${ADMIN_PREFIX}/users/${user.userId}/suspend`,
      payload: { reason: 'audit filter test' },
    });
    const list = async (params: string) => {
      const response = await call(admin, { url: `${ADMIN_PREFIX}/audit-log?${params}` });
      expect(response.statusCode, response.body).toBe(200);
      return response.json<{
        data: { id: string; at: string; action: string; actorId: string; subjectId: string }[];
        nextCursor: string | null;
      }>();
    };
    const byActor = (await list(`actorId=${other.userId}`)).data;
    // Newest first: the four actions above, then the other admin's own sign-up, sign-in and MFA setup.
    expect(byActor.map((e) => e.action)).toEqual([
      'user.suspended',
      'admin.balance_adjusted',
      'admin.balance_adjusted',
      'admin.balance_adjusted',
      'mfa.enabled',
      'login.succeeded',
      'user.registered',
    ]);
    expect(byActor.every((e) => e.actorId === other.userId)).toBe(true);
    const adjustments = (await list(`actorId=${other.userId}&action=admin.balance_adjusted`)).data;
    expect(adjustments).toHaveLength(3);
    expect((await list(`action=user.suspended&subjectId=${user.userId}`)).data).toHaveLength(1);
    // `before` is a point in time: only what happened earlier.
    const older = (await list(`actorId=${other.userId}&before=${encodeURIComponent(byActor[1]!.at)}`)).data;
    expect(older.every((e) => e.at < byActor[1]!.at)).toBe(true);
    expect(older.map((e) => e.id)).not.toContain(byActor[1]!.id);

    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await list(`actorId=${other.userId}&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      paged.push(...page.data.map((e) => e.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(paged).toEqual(byActor.map((e) => e.id));
    expect((await call(admin, { url: `${ADMIN_PREFIX}/audit-log?cursor=bm9wZQ` })).statusCode).toBe(400);
  });

  it('pages through entries written at the same instant (one transaction) without losing any', async () => {
    const subjectId = randomUUID();
    await testDb.database.db.transaction(async (tx) => {
      for (let i = 0; i < 5; i++) {
        await app.services.audit.record(tx, {
          action: 'test.same_instant',
          subjectType: 'user',
          subjectId,
          details: { i },
        });
      }
    });
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const response = await call(admin, {
        url: `${ADMIN_PREFIX}/audit-log?subjectId=${subjectId}&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      });
      const page = response.json<{ data: { details: { i: number } }[]; nextCursor: string | null }>();
      seen.push(...page.data.map((e) => e.details.i));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen.sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it('reports a clean ledger after the adjustments above', async () => {
    const response = await call(admin, { url: `${ADMIN_PREFIX}/invariants` });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ ok: true, violations: [] });
    expect(response.json().counts.transactions).toBeGreaterThan(0);
    expect((await checkLedgerInvariants(testDb.database.db)).ok).toBe(true);
  });
});
