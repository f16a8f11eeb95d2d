import { eventually } from '../../../test/support/eventually.js';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { asPrincipal } from '../../../test/support/principal.js';
import type { VerificationView } from './views.js';
import { verifications } from './schema.js';
import * as store from './store.js';
import {
  useVerificationsSuite,
  db,
  sandbox,
  app,
  verificationService,
  fundedUser,
  buy,
  buyWithLostAnswer,
  bought,
  read,
  providerIdOf,
  wallet,
  expectLedgerOk,
} from './verifications.suite.js';

useVerificationsSuite();

describe('provider failures', () => {
  it('out of stock → failed, released, clear error code', async () => {
    const user = await fundedUser(500);
    sandbox.control.setStock('telegram', 0);
    const response = await buy(user, { service: 'telegram', country: 'US' });
    expect(response.statusCode, response.body).toBe(409);
    const error = response.json<{ error: { code: string; details: { verificationId: string } } }>().error;
    expect(error.code).toBe('out_of_stock');
    const order = await read(user, error.details.verificationId);
    expect(order).toMatchObject({ status: 'failed', failureCode: 'out_of_stock' });
    expect(await wallet(user.userId)).toEqual({ balance: 500, held: 0 });
    await expectLedgerOk();
  });

  it('cancel while the number is still being bought (outcome unknown) → refunded at once, canceled upstream later', async () => {
    const user = await fundedUser(500);
    const pending = await buyWithLostAnswer(user, `lost-${user.userId}`);
    expect(await wallet(user.userId)).toEqual({ balance: 357, held: 143 });

    const canceled = await app.inject({
      method: 'POST',
      url: `/api/v1/verifications/${pending.id}/cancel`,
      headers: asPrincipal(user),
    });
    expect(canceled.statusCode, canceled.body).toBe(200);
    expect(canceled.json<VerificationView>().status).toBe('canceled');
    expect(await wallet(user.userId)).toEqual({ balance: 500, held: 0 });
    // The reconciler leaves it alone; the upstream job finds the purchase by its key and cancels it.
    expect(await verificationService.reconcilePending({ olderThanMs: 0 })).toMatchObject({ activated: 0 });
    await verificationService.retryUpstreamActions({ unboughtAfterMs: 0 });
    const providerId = await providerIdOf(pending.id);
    expect(sandbox.control.verification(providerId)!.state).toBe('verificationCanceled');
    expect((await store.findById(db, pending.id))!.upstreamAction).toBeNull();
    expect(await read(user, pending.id)).toMatchObject({ status: 'canceled' });
    expect(await wallet(user.userId)).toEqual({ balance: 500, held: 0 });
    await expectLedgerOk();
  });

  it('cancel racing the number being assigned → refunded once, and the new number is given back upstream', async () => {
    const user = await fundedUser(500);
    sandbox.control.setCreateLatency(400);
    try {
      const purchase = buy(user);
      const pendingRow = await eventually(async () => {
        const rows = await db.select().from(verifications).where(eq(verifications.userId, user.userId));
        return rows[0];
      });
      const canceled = await app.inject({
        method: 'POST',
        url: `/api/v1/verifications/${pendingRow.id}/cancel`,
        headers: asPrincipal(user),
      });
      expect(canceled.json<VerificationView>().status).toBe('canceled');
      const answered = await purchase;
      expect(answered.json<VerificationView>().status).toBe('canceled');
      const providerId = await providerIdOf(pendingRow.id);
      expect(sandbox.control.verification(providerId)!.state).toBe('verificationCanceled');
      expect(await wallet(user.userId)).toEqual({ balance: 500, held: 0 });
      await expectLedgerOk();
    } finally {
      sandbox.control.setCreateLatency(0);
    }
  });

  it('provider timeout on create → pending (202), then reconciled with the same key', async () => {
    const user = await fundedUser(500);
    const pending = await buyWithLostAnswer(user, `timeout-${user.userId}`);
    expect(pending.status).toBe('pending');
    expect(await wallet(user.userId)).toEqual({ balance: 357, held: 143 });
    const result = await verificationService.reconcilePending({ olderThanMs: 0 });
    expect(result.activated).toBeGreaterThanOrEqual(1);
    const active = await read(user, pending.id);
    expect(active.status).toBe('active');
    // One purchase upstream: the retry carried the same Idempotency-Key and was replayed.
    const creates = sandbox.control
      .requests()
      .filter(
        (r) =>
          r.method === 'POST' &&
          r.path === '/api/pub/v2/verifications' &&
          r.idempotencyKey === `nmk-ver-${pending.id}`,
      );
    expect(creates.length).toBe(2);
    const providerId = await providerIdOf(pending.id);
    expect(sandbox.control.verification(providerId)).toBeDefined();

    // The client's retry of the same request replays the stored answer.
    const replay = await buy(
      user,
      { service: 'whatsapp', country: 'US' },
      { 'idempotency-key': `timeout-${user.userId}` },
    );
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(await wallet(user.userId)).toEqual({ balance: 357, held: 143 });
    await expectLedgerOk();
  });

  it('a retried purchase whose first try got 503 answers that failure again, never 201', async () => {
    const user = await fundedUser(500);
    const key = `broke-${user.userId}`;
    const balance = sandbox.control.getBalance();
    sandbox.control.setBalance(0); // our provider account is empty: the create is refused (503)
    let first;
    try {
      first = await buy(user, { service: 'whatsapp', country: 'US' }, { 'idempotency-key': key });
    } finally {
      sandbox.control.setBalance(balance);
    }
    expect(first.statusCode, first.body).toBe(503);
    const error = first.json<{ error: { code: string; details: { verificationId: string } } }>().error;
    expect(error.code).toBe('provider_unavailable');

    const replay = await buy(user, { service: 'whatsapp', country: 'US' }, { 'idempotency-key': key });
    expect(replay.statusCode, replay.body).toBe(503);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(
      replay.json<{ error: { code: string; details: { verificationId: string } } }>().error,
    ).toMatchObject({
      code: 'provider_unavailable',
      details: { verificationId: error.details.verificationId },
    });
    expect(await read(user, error.details.verificationId)).toMatchObject({
      status: 'failed',
      failureCode: 'provider_unavailable',
    });
    // The replay bought nothing: one create upstream for this order, and the money is all back.
    const creates = sandbox.control
      .requests()
      .filter((r) => r.idempotencyKey === `nmk-ver-${error.details.verificationId}`);
    expect(creates).toHaveLength(1);
    expect(await wallet(user.userId)).toEqual({ balance: 500, held: 0 });
    await expectLedgerOk();
  });

  it('a refused create found by the reconciler → failed and released', async () => {
    const user = await fundedUser(500);
    sandbox.control.injectFault({ path: '/api/pub/v2/verifications', method: 'POST', mode: 'error' }); // 500 before effect: ambiguous
    const response = await buy(user);
    expect(response.statusCode).toBe(202);
    const id = response.json<VerificationView>().id;
    sandbox.control.setStock('whatsapp', 0);
    try {
      await verificationService.reconcilePending({ olderThanMs: 0 });
    } finally {
      sandbox.control.setStock('whatsapp', 1_000_000);
    }
    expect(await read(user, id)).toMatchObject({ status: 'failed', failureCode: 'out_of_stock' });
    expect(await wallet(user.userId)).toEqual({ balance: 500, held: 0 });
  });

  it('a cancel or report the provider refuses stays owed: the job retries it, and gives up after its attempts', async () => {
    const user = await fundedUser(1_000);
    const [toCancel, toReport, abandoned] = [await bought(user), await bought(user), await bought(user)];
    const act = (id: string, action: 'cancel' | 'report') =>
      app.inject({
        method: 'POST',
        url: `/api/v1/verifications/${id}/${action}`,
        headers: asPrincipal(user),
      });
    const upstream = async (id: string) => {
      const row = (await store.findById(db, id))!;
      return { action: row.upstreamAction, attempts: row.upstreamAttempts };
    };
    const providerState = async (id: string) => sandbox.control.verification(await providerIdOf(id))!.state;

    // The provider answers 500 to every cancel and report: the user is refunded at once all the same.
    for (const action of ['cancel', 'report'])
      sandbox.control.injectFault({
        path: `verifications/:id/${action}`,
        method: 'POST',
        mode: 'error',
        count: 1_000,
      });
    for (const [id, action] of [
      [toCancel.id, 'cancel'],
      [toReport.id, 'report'],
      [abandoned.id, 'cancel'],
    ] as const) {
      const answered = await act(id, action);
      expect(answered.statusCode, answered.body).toBe(200);
      expect(answered.json<VerificationView>().status).toBe('canceled');
    }
    expect(await wallet(user.userId)).toEqual({ balance: 1_000, held: 0 });
    expect(await upstream(toCancel.id)).toEqual({ action: 'cancel', attempts: 1 });
    expect(await upstream(toReport.id)).toEqual({ action: 'report', attempts: 1 });

    // Still refused: each stays owed and counts an attempt; the one at its last attempt is given up.
    await verificationService.retryUpstreamActions({ maxAttempts: 3 });
    expect(await upstream(toCancel.id)).toEqual({ action: 'cancel', attempts: 2 });
    expect(await upstream(toReport.id)).toEqual({ action: 'report', attempts: 2 });
    await store.settleUpstream(db, abandoned.id, false); // one more failed attempt than the others
    await verificationService.retryUpstreamActions({ maxAttempts: 4 });
    expect(await upstream(abandoned.id)).toMatchObject({ action: null });
    expect(await upstream(toCancel.id)).toEqual({ action: 'cancel', attempts: 3 });
    expect(await providerState(abandoned.id)).toBe('verificationPending');

    // The provider answers again: the owed cancel and report are sent, each once.
    sandbox.control.clearFaults();
    await verificationService.retryUpstreamActions({ maxAttempts: 4 });
    expect(await upstream(toCancel.id)).toMatchObject({ action: null });
    expect(await upstream(toReport.id)).toMatchObject({ action: null });
    expect(await providerState(toCancel.id)).toBe('verificationCanceled');
    expect(await providerState(toReport.id)).toBe('verificationReported');
    expect(await wallet(user.userId)).toEqual({ balance: 1_000, held: 0 });
    await expectLedgerOk();
  });

  it('an expired order can be neither canceled nor reported', async () => {
    const user = await fundedUser(500);
    const view = await bought(user);
    const { expired } = await verificationService.sweepExpired({ now: new Date(Date.now() + 86_400_000) });
    expect(expired).toBeGreaterThanOrEqual(1);
    for (const action of ['cancel', 'report']) {
      const refused = await app.inject({
        method: 'POST',
        url: `/api/v1/verifications/${view.id}/${action}`,
        headers: asPrincipal(user),
      });
      expect(refused.statusCode).toBe(409);
      expect(refused.json<{ error: { code: string } }>().error.code).toBe('not_cancelable');
    }
    expect(await read(user, view.id)).toMatchObject({ status: 'expired' });
    expect(await wallet(user.userId)).toEqual({ balance: 500, held: 0 });
  });
});
