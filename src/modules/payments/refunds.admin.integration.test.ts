import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { type SignedIn, signInAdmin, signInUser } from '../../../test/support/admin.js';
import { nextIp } from '../../../test/support/attacker.js';
import { eventually } from '../../../test/support/eventually.js';
import { testPrincipal } from '../../../test/support/principal.js';
import { ADMIN_PREFIX } from '../admin/index.js';
import { creditedTopup, expectInvariants, postingsFor, spend } from './refunds.suite.js';
import { app, available, sandbox, useTopupsSuite } from './topups.suite.js';

// Refunds are processed by the sandbox on its own (after 100 ms) and reported by its webhook:
// the whole way from the admin's request to the ledger runs as in production.
useTopupsSuite();

let admin: SignedIn;
beforeAll(async () => {
  admin = await signInAdmin(app);
}, 60_000);

const call = (
  who: { accessToken: string } | null,
  options: { method?: 'GET' | 'POST'; url: string; payload?: object; key?: string },
) =>
  app.inject({
    method: options.method ?? 'GET',
    url: options.url,
    remoteAddress: nextIp(),
    headers: {
      ...(who ? { authorization: `Bearer ${who.accessToken}` } : {}),
      ...(options.key ? { 'idempotency-key': options.key } : {}),
    },
    ...(options.payload ? { payload: options.payload } : {}),
  });

const refund = (who: { accessToken: string } | null, reference: string, payload: object, key?: string) =>
  call(who, { method: 'POST', url: `${ADMIN_PREFIX}/topups/${reference}/refunds`, payload, key });

const refundCalls = () => sandbox.control.requests({ path: '/refund', method: 'POST' }).length;

describe('the administrators refund a top-up over HTTP', () => {
  it('request → Paystack → refund webhook → the ledger, once; replayed by key; audited with the reason', async () => {
    const { user, reference } = await creditedTopup(500);
    const key = randomUUID();
    const body = { amount: { amount: 200, currency: 'USD' }, reason: 'duplicate payment, ticket 311' };
    const callsBefore = refundCalls();
    const first = await refund(admin, reference, body, key);
    expect(first.statusCode, first.body).toBe(201);
    expect(first.json()).toMatchObject({
      topupReference: reference,
      status: 'pending',
      amount: { amount: 200, currency: 'USD' },
      charge: { amount: 200, currency: 'USD' },
      reason: body.reason,
      requestedBy: admin.userId,
    });
    const replay = await refund(admin, reference, body, key);
    expect(replay.statusCode).toBe(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.json()).toEqual(first.json());
    expect(refundCalls() - callsBefore).toBe(1);

    await eventually(async () => ((await available(user.userId)) === 300 ? true : undefined), 15_000);
    const history = await call(admin, { url: `${ADMIN_PREFIX}/topups/${reference}` });
    expect(history.statusCode).toBe(200);
    expect(history.json()).toMatchObject({
      topup: { reference, userId: user.userId, reversed: { amount: 200, currency: 'USD' } },
      refunds: [{ id: first.json().id, status: 'processed', fromWallet: { amount: 200 } }],
      disputes: [],
    });
    await sandbox.control.settled();
    expect(await postingsFor(reference, 'refund')).toBe(1);

    const audit = await call(admin, {
      url: `${ADMIN_PREFIX}/audit-log?action=admin.topup_refund_requested&subjectId=${reference}`,
    });
    expect(audit.json<{ data: unknown[] }>().data).toEqual([
      expect.objectContaining({
        actorId: admin.userId,
        subjectType: 'topup',
        details: expect.objectContaining({ amount: 200, reason: body.reason, userId: user.userId }),
      }),
    ]);
    await expectInvariants();
  });

  it('a refund larger than the top-up (or than what is left of it) is refused; the key is required', async () => {
    const { reference } = await creditedTopup(300);
    const reason = 'customer asked';
    const tooMuch = await refund(
      admin,
      reference,
      { amount: { amount: 301, currency: 'USD' }, reason },
      randomUUID(),
    );
    expect(tooMuch.statusCode).toBe(409);
    expect(tooMuch.json()).toMatchObject({
      error: { code: 'not_refundable', details: { refundable: { amount: 300, currency: 'USD' } } },
    });
    const noKey = await refund(admin, reference, { reason });
    expect(noKey.statusCode).toBe(400);
    const unknown = `nmk-tu-${'a'.repeat(24)}`;
    expect((await refund(admin, unknown, { reason }, randomUUID())).statusCode).toBe(404);
    expect((await refund(admin, 'not-a-reference', { reason }, randomUUID())).statusCode).toBe(400);
    const full = await refund(admin, reference, { reason }, randomUUID());
    expect(full.json()).toMatchObject({ amount: { amount: 300 } });
    const nothingLeft = await refund(admin, reference, { reason }, randomUUID());
    expect(nothingLeft.json()).toMatchObject({ error: { code: 'not_refundable' } });
  });

  it('a non-admin gets 403, an anonymous caller 401, an admin without MFA is refused', async () => {
    const { reference } = await creditedTopup(100);
    const user = await signInUser(app);
    const noMfa = await signInAdmin(app, { mfa: false });
    const payload = { reason: 'trying my luck' };
    const routes = [
      {
        method: 'POST' as const,
        url: `${ADMIN_PREFIX}/topups/${reference}/refunds`,
        payload,
        key: randomUUID(),
      },
      { method: 'GET' as const, url: `${ADMIN_PREFIX}/topups/${reference}` },
      { method: 'POST' as const, url: `${ADMIN_PREFIX}/users/${user.userId}/clear-flag`, payload },
    ];
    const callsBefore = refundCalls();
    for (const route of routes) {
      expect((await call(user, route)).statusCode, route.url).toBe(403);
      expect((await call(null, route)).statusCode, route.url).toBe(401);
      const refused = await call(noMfa, route);
      expect(refused.statusCode, route.url).toBe(403);
      expect(refused.json()).toMatchObject({ error: { code: 'mfa_setup_required' } });
    }
    expect(refundCalls()).toBe(callsBefore);
    const history = await call(admin, { url: `${ADMIN_PREFIX}/topups/${reference}` });
    expect(history.json<{ refunds: unknown[] }>().refunds).toEqual([]);
  });

  it('the user view shows the flag once a refund took money already spent; an administrator clears it', async () => {
    const owner = await signInUser(app);
    const { reference } = await creditedTopup(500, undefined, testPrincipal({ userId: owner.userId }));
    await spend(owner.userId, 450);
    const requested = await refund(admin, reference, { reason: 'chargeback threat' }, randomUUID());
    expect(requested.statusCode, requested.body).toBe(201);
    const detail = await eventually(async () => {
      const response = await call(admin, { url: `${ADMIN_PREFIX}/users/${owner.userId}` });
      return response.json<{ standing: { flagged: boolean } }>().standing.flagged
        ? response.json()
        : undefined;
    }, 15_000);
    expect(detail).toMatchObject({
      standing: { flagged: true, owed: { amount: 450, currency: 'USD' }, flagReason: expect.any(String) },
      wallet: { balance: { amount: 0 } },
    });

    const cleared = await call(admin, {
      method: 'POST',
      url: `${ADMIN_PREFIX}/users/${owner.userId}/clear-flag`,
      payload: { reason: 'paid back by bank transfer' },
    });
    expect(cleared.statusCode, cleared.body).toBe(200);
    expect(cleared.json()).toMatchObject({ flagged: false, flaggedAt: null });
    const audit = await call(admin, {
      url: `${ADMIN_PREFIX}/audit-log?action=admin.account_flag_cleared&subjectId=${owner.userId}`,
    });
    expect(audit.json<{ data: unknown[] }>().data).toHaveLength(1);
    await expectInvariants();
  });
});
