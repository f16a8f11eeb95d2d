import { describe, expect, it } from 'vitest';
import { AppError } from '../../platform/errors.js';
import {
  auditActions,
  creditedTopup,
  expectInvariants,
  historyOf,
  paystackIdOf,
  postingsFor,
  query,
  refundReaches,
  requestRefund,
  spend,
  standingOf,
} from './refunds.suite.js';
import { testPrincipal } from '../../../test/support/principal.js';
import {
  app,
  appUrl,
  available,
  client,
  initialized,
  reconciler,
  sandbox,
  useTopupsSuite,
} from './topups.suite.js';

// Refunds are processed only when a test says so (the sandbox's control), so each test decides
// what happens between the request and Paystack paying the refund out.
useTopupsSuite({ refundProcessDelayMs: null });

const refundCalls = () => sandbox.control.requests({ path: '/refund', method: 'POST' }).length;

const refusal = async (promise: Promise<unknown>) => {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
};

describe('refunds of top-ups through Paystack', () => {
  it('a processed refund takes the top-up back exactly once: its webhook replayed 5 times, then 5 at once', async () => {
    const { user, reference } = await creditedTopup(500);
    const refund = await requestRefund(reference);
    expect(refund).toMatchObject({ status: 'pending', amount: { amount: 500, currency: 'USD' } });
    // Nothing leaves the wallet until Paystack has paid the refund out.
    expect(await available(user.userId)).toBe(500);

    const paystackId = await paystackIdOf(reference, refund.id);
    sandbox.control.processRefund(paystackId);
    await refundReaches(reference, refund.id, 'processed');
    for (let i = 0; i < 5; i++) await sandbox.control.resendRefundWebhook(paystackId);
    await sandbox.control.resendRefundWebhook(paystackId, 5);
    // And around the webhook, straight to the service, concurrently.
    await Promise.all(
      Array.from({ length: 5 }, () => app.services.payments.settleRefund(paystackId, 'test')),
    );
    await reconciler.reconcileFollowups();

    expect(await available(user.userId)).toBe(0);
    expect(await postingsFor(reference, 'refund')).toBe(1);
    const history = await historyOf(reference);
    expect(history.topup.reversed).toEqual({ amount: 500, currency: 'USD' });
    expect(history.refunds).toEqual([
      expect.objectContaining({
        status: 'processed',
        paystackRefundId: paystackId,
        fromWallet: { amount: 500, currency: 'USD' },
        receivable: { amount: 0, currency: 'USD' },
      }),
    ]);
    expect(await standingOf(user.userId)).toMatchObject({ flagged: false, owed: { amount: 0 } });
    const statement = await app.services.payments.walletStatement(user.userId, {
      cursor: undefined,
      limit: 10,
    });
    expect(statement.data[0]).toMatchObject({ type: 'refund', amount: { amount: -500, currency: 'USD' } });
    await expectInvariants();
  });

  it('partial refunds add up to the top-up and no further; a refund larger than what is left is refused', async () => {
    const { user, reference } = await creditedTopup(1000);
    const callsBefore = refundCalls();
    const first = await requestRefund(reference, 300);
    const second = await requestRefund(reference, 500);
    const tooMuch = await refusal(requestRefund(reference, 300));
    expect(tooMuch).toMatchObject({ status: 409, code: 'not_refundable' });
    expect(tooMuch.details).toEqual({ refundable: { amount: 200, currency: 'USD' } });
    expect((await refusal(requestRefund(reference, 1001))).code).toBe('not_refundable');
    const rest = await requestRefund(reference);
    expect(rest.amount).toEqual({ amount: 200, currency: 'USD' });
    // Nothing is left: even a one-cent refund is refused, and Paystack was asked three times only.
    expect((await refusal(requestRefund(reference, 1))).code).toBe('not_refundable');
    expect(refundCalls() - callsBefore).toBe(3);

    for (const refund of [first, second, rest]) {
      sandbox.control.processRefund(await paystackIdOf(reference, refund.id));
      await refundReaches(reference, refund.id, 'processed');
    }
    expect(await available(user.userId)).toBe(0);
    expect(await postingsFor(reference, 'refund')).toBe(3);
    expect((await historyOf(reference)).topup.reversed.amount).toBe(1000);
    await expectInvariants();
  });

  it('the same request (same key) refunds once, even when it races itself', async () => {
    const { reference } = await creditedTopup(400);
    const key = 'refund-request-key-1';
    const callsBefore = refundCalls();
    const answers = await Promise.all(Array.from({ length: 6 }, () => requestRefund(reference, 100, key)));
    expect(new Set(answers.map((a) => a.id)).size).toBe(1);
    expect((await historyOf(reference)).refunds).toHaveLength(1);
    expect(refundCalls() - callsBefore).toBe(1);
    expect(await auditActions(reference)).toEqual(['admin.topup_refund_requested']);
  });

  it('a refund raced by a purchase that spends the money: the wallet gives what it has, the rest is owed and the account flagged', async () => {
    const { user, reference } = await creditedTopup(500);
    const refund = await requestRefund(reference);
    const paystackId = await paystackIdOf(reference, refund.id);
    await spend(user.userId, 400);
    sandbox.control.processRefund(paystackId);
    const processed = await refundReaches(reference, refund.id, 'processed');
    expect(processed).toMatchObject({
      fromWallet: { amount: 100, currency: 'USD' },
      receivable: { amount: 400, currency: 'USD' },
    });
    expect(await available(user.userId)).toBe(0);
    expect(await standingOf(user.userId)).toMatchObject({
      flagged: true,
      owed: { amount: 400, currency: 'USD' },
    });
    expect(await auditActions(user.userId)).toContain('payments.account_flagged');
    await sandbox.control.resendRefundWebhook(paystackId, 5);
    expect(await postingsFor(reference, 'refund')).toBe(1);
    expect((await standingOf(user.userId)).owed.amount).toBe(400);
    await expectInvariants();
  });

  it('a refund and a purchase at the same moment: whichever wins, nothing is counted twice and the wallet never goes below zero', async () => {
    for (let round = 0; round < 4; round++) {
      const { user, reference } = await creditedTopup(500);
      const refund = await requestRefund(reference);
      const paystackId = await paystackIdOf(reference, refund.id);
      // Paystack pays the refund out (its webhook is on its way) while the user buys.
      const [purchase] = await Promise.allSettled([
        spend(user.userId, 400),
        (async () => {
          sandbox.control.processRefund(paystackId);
          return app.services.payments.settleRefund(paystackId, 'test');
        })(),
      ]);
      const processed = await refundReaches(reference, refund.id, 'processed');
      const bought = purchase.status === 'fulfilled';
      expect(processed.receivable?.amount).toBe(bought ? 400 : 0);
      expect(processed.fromWallet?.amount).toBe(bought ? 100 : 500);
      expect(await available(user.userId)).toBe(0);
      expect((await standingOf(user.userId)).flagged).toBe(bought);
      expect(await postingsFor(reference, 'refund')).toBe(1);
    }
    await expectInvariants();
  });

  it('a failed refund takes nothing and its amount can be refunded again', async () => {
    const { user, reference } = await creditedTopup(300);
    const refund = await requestRefund(reference);
    sandbox.control.failRefund(await paystackIdOf(reference, refund.id));
    await refundReaches(reference, refund.id, 'failed');
    expect(await available(user.userId)).toBe(300);
    expect(await postingsFor(reference, 'refund')).toBe(0);
    const again = await requestRefund(reference);
    expect(again.amount.amount).toBe(300);
    await expectInvariants();
  });

  it('a refund made at Paystack directly (the dashboard) is taken back when its webhook arrives', async () => {
    const { user, reference } = await creditedTopup(600);
    const refund = await client.refund({ transaction: reference, amountMinor: 250 });
    sandbox.control.processRefund(refund.id);
    await sandbox.control.settled();
    const history = await historyOf(reference);
    expect(history.refunds).toEqual([
      expect.objectContaining({ paystackRefundId: refund.id, status: 'processed', requestedBy: null }),
    ]);
    expect(await available(user.userId)).toBe(350);
    await expectInvariants();
  });

  it('a refund of a top-up that was never credited (flagged) takes nothing from the wallet', async () => {
    const user = testPrincipal();
    const { reference } = await initialized(user, 500);
    sandbox.control.pay(reference, { amountMinor: 400, sendWebhook: false });
    expect((await app.services.payments.settleTopup(reference, 'callback')).outcome).toBe('flagged');
    const refund = await client.refund({ transaction: reference });
    sandbox.control.processRefund(refund.id);
    await sandbox.control.settled();
    expect((await historyOf(reference)).refunds).toEqual([
      expect.objectContaining({ status: 'processed', fromWallet: { amount: 0, currency: 'USD' } }),
    ]);
    expect(await available(user.userId)).toBe(0);
    expect(await postingsFor(reference, 'refund')).toBe(0);
    expect(await auditActions(reference)).toContain('payments.refund_processed');
    await expectInvariants();
  });

  it('an NGN top-up is refunded in kobo at the rate it was charged at', async () => {
    const { user, reference } = await creditedTopup(500, 'NGN');
    const refund = await requestRefund(reference, 200);
    expect(refund.charge).toEqual({ amount: 200 * 1600, currency: 'NGN' });
    sandbox.control.processRefund(await paystackIdOf(reference, refund.id));
    await refundReaches(reference, refund.id, 'processed');
    expect(await available(user.userId)).toBe(300);
  });

  it('a lost refund webhook: the reconciler asks Paystack and takes the money back once', async () => {
    const { user, reference } = await creditedTopup(200);
    sandbox.control.setWebhookUrl(undefined);
    try {
      const refund = await requestRefund(reference);
      sandbox.control.processRefund(await paystackIdOf(reference, refund.id));
      expect(await available(user.userId)).toBe(200);
      await Promise.all([reconciler.reconcileFollowups(), reconciler.reconcileFollowups()]);
      await refundReaches(reference, refund.id, 'processed');
      expect(await available(user.userId)).toBe(0);
      expect(await postingsFor(reference, 'refund')).toBe(1);
    } finally {
      sandbox.control.setWebhookUrl(`${appUrl}/api/v1/hooks/paystack`);
    }
  });

  it('Paystack refusing a refund answers 422 and leaves the amount refundable', async () => {
    const { reference } = await creditedTopup(300);
    sandbox.control.failNext({ path: '/refund', method: 'POST', mode: 'error', status: 400 });
    const refused = await refusal(requestRefund(reference));
    expect(refused).toMatchObject({ status: 422, code: 'provider_rejected' });
    expect((await historyOf(reference)).refunds).toEqual([expect.objectContaining({ status: 'rejected' })]);
    expect((await requestRefund(reference)).amount.amount).toBe(300);
  });

  it('Paystack not answering a refund request: 503, recorded as unknown, and nothing taken', async () => {
    const { user, reference } = await creditedTopup(300);
    sandbox.control.failNext({ path: '/refund', method: 'POST', mode: 'error', status: 502 });
    const refused = await refusal(requestRefund(reference));
    expect(refused).toMatchObject({ status: 503, code: 'provider_unavailable' });
    expect((await historyOf(reference)).refunds).toEqual([expect.objectContaining({ status: 'unknown' })]);
    expect(await available(user.userId)).toBe(300);
    expect(await postingsFor(reference, 'refund')).toBe(0);
    await expectInvariants();
  });

  it('a refund webhook while the Paystack API is down is settled by the reconciler, once', async () => {
    const { user, reference } = await creditedTopup(250);
    const refund = await requestRefund(reference);
    const paystackId = await paystackIdOf(reference, refund.id);
    sandbox.control.setOutage(true);
    try {
      sandbox.control.processRefund(paystackId);
      await sandbox.control.settled();
      expect(await app.services.payments.settleRefund(paystackId, 'test')).toBe('pending');
      expect(await available(user.userId)).toBe(250);
    } finally {
      sandbox.control.setOutage(false);
    }
    await Promise.all([reconciler.reconcileFollowups(), reconciler.reconcileFollowups()]);
    await refundReaches(reference, refund.id, 'processed');
    expect(await available(user.userId)).toBe(0);
    expect(await postingsFor(reference, 'refund')).toBe(1);
    await expectInvariants();
  });

  it('a refund of a payment that is not a top-up of ours, or that Paystack does not know, changes nothing', async () => {
    const foreign = `shop-order-${Date.now()}`;
    await client.initializeTransaction({
      email: 'buyer@shop.test',
      amountMinor: 900,
      currency: 'USD',
      reference: foreign,
      callbackUrl: 'https://shop.test/done',
    });
    sandbox.control.pay(foreign, { sendWebhook: false });
    const refund = await client.refund({ transaction: foreign });
    sandbox.control.processRefund(refund.id);
    await sandbox.control.settled();
    expect(await app.services.payments.settleRefund(refund.id, 'test')).toBe('ignored');
    expect(await app.services.payments.settleRefund(987_654_321, 'test')).toBe('ignored');
    const rows = await query<{ n: number }>(
      `select count(*)::int as n from ledger_transactions where kind = 'refund' and metadata->>'paystackRefundId' = $1`,
      [String(refund.id)],
    );
    expect(rows[0]!.n).toBe(0);
    await expectInvariants();
  });

  it('a pending refund webhook does not end the follow-up: a lost processed webhook is still found by the reconciler', async () => {
    const { user, reference } = await creditedTopup(150);
    const refund = await requestRefund(reference);
    const paystackId = await paystackIdOf(reference, refund.id);
    // Paystack's `refund.pending` arrives (a replay of it too), then the `refund.processed` is lost.
    await sandbox.control.resendRefundWebhook(paystackId, 2);
    await sandbox.control.settled();
    sandbox.control.setWebhookUrl(undefined);
    try {
      sandbox.control.processRefund(paystackId);
      expect(await available(user.userId)).toBe(150);
      await reconciler.reconcileFollowups();
      await refundReaches(reference, refund.id, 'processed');
      expect(await available(user.userId)).toBe(0);
      expect(await postingsFor(reference, 'refund')).toBe(1);
    } finally {
      sandbox.control.setWebhookUrl(`${appUrl}/api/v1/hooks/paystack`);
    }
    await expectInvariants();
  });
});
