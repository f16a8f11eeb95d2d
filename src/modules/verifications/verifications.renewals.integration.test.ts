/**
 * Reuse and reactivation over HTTP against the TextVerified sandbox: a renewal is a new order on
 * the same number, priced by the quote, held, captured on its first SMS or released, and refused
 * (nothing held, nothing sent upstream) when it cannot be bought.
 */
import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { eventually } from '../../../test/support/eventually.js';
import { asPrincipal } from '../../../test/support/principal.js';
import type { Principal } from '../../platform/http/principal.js';
import { verifications } from './schema.js';
import type { VerificationView } from './views.js';
import {
  app,
  bought,
  db,
  expectLedgerOk,
  fundedUser,
  providerIdOf,
  read,
  sandbox,
  useVerificationsSuite,
  verificationService,
  wallet,
} from './verifications.suite.js';

useVerificationsSuite();

type Action = 'reuse' | 'reactivate';

function renew(principal: Principal, id: string, action: Action, headers: Record<string, string> = {}) {
  return app.inject({
    method: 'POST',
    url: `/api/v1/verifications/${id}/${action}`,
    headers: { ...asPrincipal(principal), ...headers },
  });
}

/** A completed WhatsApp order (143 cents captured) of a user funded with `cents`. */
async function completedOrder(cents = 1_000) {
  const user = await fundedUser(cents);
  const view = await bought(user);
  sandbox.control.deliverSms(await providerIdOf(view.id), { code: '482913' });
  await eventually(async () => ((await read(user, view.id)).status === 'completed' ? true : undefined));
  return { user, original: view };
}

async function completes(user: Principal, id: string, code: string) {
  sandbox.control.deliverSms(await providerIdOf(id), { code });
  return eventually(async () => {
    const v = await read(user, id);
    return v.status === 'completed' ? v : undefined;
  });
}

const upstreamCalls = (action: Action) =>
  sandbox.control
    .requests()
    .filter((r) => r.method === 'POST' && r.path.startsWith('/api/pub/v2/verifications/'))
    .filter((r) => r.path.endsWith(`/${action}`)).length;

const renewalsOf = (originalId: string) =>
  db.select().from(verifications).where(eq(verifications.reusedFrom, originalId));

describe('reuse inside the window', () => {
  it('is a new order on the same number, charged once by the quote, captured on its code', async () => {
    const { user, original } = await completedOrder();
    expect(await wallet(user.userId)).toEqual({ balance: 857, held: 0 });
    const offered = await read(user, original.id);
    expect(offered.renewable?.reusableUntil).toBeTruthy();
    expect(offered.renewable?.canReactivate).toBe(false);

    const response = await renew(user, original.id, 'reuse', { 'idempotency-key': 'reuse-1' });
    expect(response.statusCode, response.body).toBe(201);
    const again = response.json<VerificationView>();
    expect(response.headers.location).toBe(`/api/v1/verifications/${again.id}`);
    expect(again).toMatchObject({
      status: 'active',
      phoneNumber: original.phoneNumber,
      reusedFrom: original.id,
      renewal: 'reuse',
      service: 'whatsapp',
      price: { amount: 143, currency: 'USD' },
    });
    expect(again.id).not.toBe(original.id);
    expect(await providerIdOf(again.id)).not.toBe(await providerIdOf(original.id));
    expect(await wallet(user.userId)).toEqual({ balance: 714, held: 143 });

    const done = await completes(user, again.id, '777111');
    expect(done.code).toBe('777111');
    expect(await wallet(user.userId)).toEqual({ balance: 714, held: 0 });
    // The original keeps its own code and is not offered again.
    const spent = await read(user, original.id);
    expect(spent.code).toBe('482913');
    expect(spent.renewable).toEqual({ reusableUntil: null, canReactivate: false });
    const refused = await renew(user, original.id, 'reuse');
    expect(refused.statusCode).toBe(409);
    expect(refused.json<{ error: { code: string } }>().error.code).toBe('reuse_not_available');
    expect(await wallet(user.userId)).toEqual({ balance: 714, held: 0 });
    await expectLedgerOk();
  });

  it('one Idempotency-Key sent many times at once buys one order', async () => {
    const { user, original } = await completedOrder();
    sandbox.control.setCreateLatency(0);
    const responses = await Promise.all(
      Array.from({ length: 6 }, () => renew(user, original.id, 'reuse', { 'idempotency-key': 'same-key' })),
    );
    const statuses = responses.map((r) => r.statusCode);
    expect(
      statuses.every((s) => s === 201 || s === 409),
      statuses.join(),
    ).toBe(true);
    const ok = responses.filter((r) => r.statusCode === 201).map((r) => r.json<VerificationView>().id);
    expect(new Set(ok).size).toBe(1);
    for (const r of responses.filter((x) => x.statusCode === 409)) {
      expect(r.json<{ error: { code: string } }>().error.code).toBe('idempotency_key_in_use');
    }
    expect(await renewalsOf(original.id)).toHaveLength(1);
    expect(await wallet(user.userId)).toEqual({ balance: 714, held: 143 });
    // Replayed afterwards: the same order.
    const replay = await renew(user, original.id, 'reuse', { 'idempotency-key': 'same-key' });
    expect(replay.statusCode).toBe(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.json<VerificationView>().id).toBe(ok[0]);
    await expectLedgerOk();
  });

  it('two renewals with different keys at once: one is bought, the other refused and released', async () => {
    const { user, original } = await completedOrder();
    const [a, b] = await Promise.all([
      renew(user, original.id, 'reuse', { 'idempotency-key': 'k-a' }),
      renew(user, original.id, 'reuse', { 'idempotency-key': 'k-b' }),
    ]);
    expect([a.statusCode, b.statusCode].sort()).toEqual([201, 409]);
    const loser = a.statusCode === 409 ? a : b;
    expect(loser.json<{ error: { code: string } }>().error.code).toBe('reuse_not_available');
    const rows = await renewalsOf(original.id);
    expect(rows.filter((r) => r.status === 'active')).toHaveLength(1);
    // Usually both pass the eligibility look and the provider refuses the second: its order failed
    // with the same code and its hold came back (else it was refused before anything was held).
    for (const row of rows.filter((r) => r.status !== 'active')) {
      expect(row).toMatchObject({ status: 'failed', failureCode: 'reuse_not_available' });
    }
    expect(await wallet(user.userId)).toEqual({ balance: 714, held: 143 });
    await expectLedgerOk();
  });
});

describe('after the reuse window', () => {
  it('reuse is refused with nothing charged; reactivation buys the number, released on expiry', async () => {
    const { user, original } = await completedOrder();
    sandbox.control.endReuseWindow(await providerIdOf(original.id));
    sandbox.control.clearRequests();
    const refused = await renew(user, original.id, 'reuse', { 'idempotency-key': 'late' });
    expect(refused.statusCode).toBe(409);
    expect(refused.json<{ error: { code: string } }>().error.code).toBe('reuse_not_available');
    expect(upstreamCalls('reuse')).toBe(0);
    expect(await renewalsOf(original.id)).toHaveLength(0);
    expect(await wallet(user.userId)).toEqual({ balance: 857, held: 0 });

    const offered = await eventually(async () => {
      const v = await read(user, original.id);
      return v.renewable?.canReactivate ? v : undefined;
    });
    expect(offered.renewable?.reusableUntil).toBeNull();

    const response = await renew(user, original.id, 'reactivate', { 'idempotency-key': 'back' });
    expect(response.statusCode, response.body).toBe(201);
    const back = response.json<VerificationView>();
    expect(back).toMatchObject({
      status: 'active',
      phoneNumber: original.phoneNumber,
      renewal: 'reactivate',
    });
    expect(await wallet(user.userId)).toEqual({ balance: 714, held: 143 });

    // No SMS in the window: expired and released like any purchase.
    sandbox.control.expire(await providerIdOf(back.id));
    await db
      .update(verifications)
      .set({ endsAt: new Date(Date.now() - 1_000) })
      .where(eq(verifications.id, back.id));
    await verificationService.sweepExpired();
    expect((await read(user, back.id)).status).toBe('expired');
    expect(await wallet(user.userId)).toEqual({ balance: 857, held: 0 });
    await expectLedgerOk();
  });
});

describe('refusals', () => {
  it("another user's order is not found; an order not completed is not renewable", async () => {
    const { original } = await completedOrder();
    const stranger = await fundedUser(1_000);
    const response = await renew(stranger, original.id, 'reuse');
    expect(response.statusCode).toBe(404);
    expect(response.json<{ error: { code: string } }>().error.code).toBe('not_found');
    expect(await wallet(stranger.userId)).toEqual({ balance: 1_000, held: 0 });

    const active = await bought(stranger);
    const early = await renew(stranger, active.id, 'reactivate');
    expect(early.statusCode).toBe(409);
    expect(early.json<{ error: { code: string } }>().error.code).toBe('reactivation_not_available');
    expect(await renewalsOf(original.id)).toHaveLength(0);
  });

  it("above the caller's maxPrice: 409 price_changed, nothing held, nothing renewed", async () => {
    const { user, original } = await completedOrder();
    sandbox.control.clearRequests();
    const response = await app.inject({
      method: 'POST',
      url: `/api/v1/verifications/${original.id}/reuse`,
      headers: asPrincipal(user),
      payload: { maxPrice: 142 },
    });
    expect(response.statusCode).toBe(409);
    expect(response.json<{ error: { code: string; details: unknown } }>().error).toMatchObject({
      code: 'price_changed',
      details: { price: { amount: 143, currency: 'USD' } },
    });
    expect(upstreamCalls('reuse')).toBe(0);
    expect(await renewalsOf(original.id)).toHaveLength(0);
    expect(await wallet(user.userId)).toEqual({ balance: 857, held: 0 });
  });

  it('the provider cannot say whether the number is offered: 503, nothing held, nothing renewed', async () => {
    const { user, original } = await completedOrder();
    sandbox.control.clearRequests();
    sandbox.control.injectFault({
      path: '/api/pub/v2/verifications/:id',
      method: 'GET',
      mode: 'error',
      count: 10,
    });
    const response = await renew(user, original.id, 'reuse', { 'idempotency-key': 'unreadable' });
    sandbox.control.clearFaults();
    expect(response.statusCode).toBe(503);
    expect(response.json<{ error: { code: string } }>().error.code).toBe('provider_unavailable');
    expect(upstreamCalls('reuse')).toBe(0);
    expect(await renewalsOf(original.id)).toHaveLength(0);
    expect(await wallet(user.userId)).toEqual({ balance: 857, held: 0 });
    // Not stored (a 503): the same key may be retried, and then buys.
    const retried = await renew(user, original.id, 'reuse', { 'idempotency-key': 'unreadable' });
    expect(retried.statusCode, retried.body).toBe(201);
    await expectLedgerOk();
  });

  it('insufficient balance: 402, nothing asked of the provider', async () => {
    const { user, original } = await completedOrder(143);
    expect(await wallet(user.userId)).toEqual({ balance: 0, held: 0 });
    sandbox.control.clearRequests();
    const response = await renew(user, original.id, 'reuse', { 'idempotency-key': 'poor' });
    expect(response.statusCode).toBe(402);
    expect(response.json<{ error: { code: string } }>().error.code).toBe('insufficient_funds');
    expect(upstreamCalls('reuse')).toBe(0);
    expect(await renewalsOf(original.id)).toHaveLength(0);
    await expectLedgerOk();
  });

  it('the provider refuses the renewal: the order fails and its hold is released', async () => {
    const { user, original } = await completedOrder();
    const balance = sandbox.control.getBalance();
    sandbox.control.setBalance(0);
    try {
      const response = await renew(user, original.id, 'reuse', { 'idempotency-key': 'upstream-broke' });
      expect(response.statusCode).toBe(503);
      expect(response.json<{ error: { code: string } }>().error.code).toBe('provider_unavailable');
    } finally {
      sandbox.control.setBalance(balance);
    }
    const [row] = await renewalsOf(original.id);
    expect(row).toMatchObject({ status: 'failed', failureCode: 'provider_unavailable' });
    expect(await wallet(user.userId)).toEqual({ balance: 857, held: 0 });
    // The key's order failed: the same key answers the same refusal.
    const replay = await renew(user, original.id, 'reuse', { 'idempotency-key': 'upstream-broke' });
    expect(replay.statusCode).toBe(503);
    await expectLedgerOk();
  });
});

describe('unknown outcome', () => {
  it('a renewal whose answer was lost is found by listing and activated; one never made fails', async () => {
    const { user, original } = await completedOrder();
    sandbox.control.injectFault({
      path: '/api/pub/v2/verifications/:id/reuse',
      method: 'POST',
      mode: 'hang',
      afterEffect: true,
    });
    const lost = await renew(user, original.id, 'reuse', { 'idempotency-key': 'lost' });
    expect(lost.statusCode, lost.body).toBe(202);
    const pending = lost.json<VerificationView>();
    expect(pending.status).toBe('pending');
    expect(await wallet(user.userId)).toEqual({ balance: 714, held: 143 });

    const first = await verificationService.reconcilePending({ olderThanMs: 0 });
    expect(first.activated).toBe(1);
    const active = await read(user, pending.id);
    expect(active).toMatchObject({ status: 'active', phoneNumber: original.phoneNumber });

    // Reactivation sent but never applied upstream: the reconciler finds nothing and releases.
    const second = await completedOrder();
    sandbox.control.endReuseWindow(await providerIdOf(second.original.id));
    sandbox.control.injectFault({
      path: '/api/pub/v2/verifications/:id/reactivate',
      method: 'POST',
      mode: 'hang',
    });
    const never = await renew(second.user, second.original.id, 'reactivate', { 'idempotency-key': 'never' });
    expect(never.statusCode, never.body).toBe(202);
    const result = await verificationService.reconcilePending({ olderThanMs: 0 });
    expect(result.failed).toBe(1);
    expect((await read(second.user, never.json<VerificationView>().id)).status).toBe('failed');
    expect(await wallet(second.user.userId)).toEqual({ balance: 857, held: 0 });
    const rows = await db
      .select()
      .from(verifications)
      .where(and(eq(verifications.userId, second.user.userId), eq(verifications.status, 'active')));
    expect(rows).toHaveLength(0);
    await expectLedgerOk();
  });

  it('canceled while its renewal was in flight: refunded now, the number found and canceled upstream', async () => {
    const { user, original } = await completedOrder();
    sandbox.control.injectFault({
      path: '/api/pub/v2/verifications/:id/reuse',
      method: 'POST',
      mode: 'hang',
      afterEffect: true,
    });
    const lost = await renew(user, original.id, 'reuse', { 'idempotency-key': 'lost-then-canceled' });
    expect(lost.statusCode, lost.body).toBe(202);
    const id = lost.json<VerificationView>().id;
    const canceled = await app.inject({
      method: 'POST',
      url: `/api/v1/verifications/${id}/cancel`,
      headers: asPrincipal(user),
    });
    expect(canceled.statusCode, canceled.body).toBe(200);
    expect(await wallet(user.userId)).toEqual({ balance: 857, held: 0 });

    sandbox.control.clearRequests();
    await verificationService.retryUpstreamActions({ unboughtAfterMs: 0 });
    // Found by listing, never by renewing (or buying) again.
    expect(upstreamCalls('reuse')).toBe(0);
    expect(
      sandbox.control.requests().filter((r) => r.method === 'POST' && r.path === '/api/pub/v2/verifications'),
    ).toHaveLength(0);
    const row = (await db.select().from(verifications).where(eq(verifications.id, id)))[0]!;
    expect(row).toMatchObject({ status: 'canceled', upstreamAction: null });
    expect(row.providerId).toBeTruthy();
    expect(sandbox.control.verification(row.providerId!)?.state).toBe('verificationCanceled');
    await expectLedgerOk();
  });
});
