import { describe, expect, it } from 'vitest';
import { eventually } from '../../../test/support/eventually.js';
import {
  auditActions,
  creditedTopup,
  expectInvariants,
  historyOf,
  postingsFor,
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

useTopupsSuite({ refundProcessDelayMs: null });

/** Opens a dispute at the sandbox (its webhook goes to the app) and waits until it is taken back. */
async function openDispute(reference: string, amountMinor?: number) {
  const dispute = sandbox.control.openDispute(reference, amountMinor === undefined ? {} : { amountMinor });
  const id = Number(dispute.id);
  await disputeReaches(reference, id, 'open');
  return id;
}

function disputeReaches(reference: string, paystackId: number, status: 'open' | 'won' | 'lost') {
  return eventually(
    async () =>
      (await historyOf(reference)).disputes.find(
        (d) => d.paystackDisputeId === paystackId && d.status === status,
      ),
    15_000,
  );
}

describe('chargebacks (Paystack disputes)', () => {
  it('opening takes the disputed amount back; won (declined) gives it back; replays change nothing', async () => {
    const { user, reference } = await creditedTopup(500);
    const id = await openDispute(reference);
    expect(await available(user.userId)).toBe(0);
    expect((await historyOf(reference)).topup.reversed.amount).toBe(500);
    await sandbox.control.remindDispute(id);
    await sandbox.control.resendDisputeWebhook(id, 5);
    expect(await available(user.userId)).toBe(0);
    expect(await postingsFor(reference, 'chargeback')).toBe(1);

    sandbox.control.resolveDispute(id, 'declined');
    const won = await disputeReaches(reference, id, 'won');
    expect(won).toMatchObject({ resolution: 'declined', returned: { amount: 500, currency: 'USD' } });
    await sandbox.control.resendDisputeWebhook(id, 5);
    await Promise.all(Array.from({ length: 3 }, () => app.services.payments.settleDispute(id, 'test')));
    expect(await available(user.userId)).toBe(500);
    expect(await postingsFor(reference, 'chargeback')).toBe(2);
    expect((await historyOf(reference)).topup.reversed.amount).toBe(0);
    expect(await auditActions(reference)).toEqual(['payments.dispute_opened', 'payments.dispute_resolved']);
    await expectInvariants();
  });

  it('lost (merchant-accepted): the money stays taken back, once, however often the events come', async () => {
    const { user, reference } = await creditedTopup(700);
    const id = await openDispute(reference);
    sandbox.control.resolveDispute(id, 'merchant-accepted');
    await disputeReaches(reference, id, 'lost');
    await sandbox.control.resendDisputeWebhook(id, 5);
    expect(await available(user.userId)).toBe(0);
    expect(await postingsFor(reference, 'chargeback')).toBe(1);
    expect((await historyOf(reference)).disputes[0]).toMatchObject({
      taken: { amount: 700 },
      returned: { amount: 0 },
    });
    // A lost dispute is final: the top-up cannot be refunded on top of it.
    await expect(requestRefund(reference)).rejects.toMatchObject({ code: 'not_refundable' });
    await expectInvariants();
  });

  it('a partial dispute takes back only what is disputed; a lost one that refunds less gives the rest back', async () => {
    const { user, reference } = await creditedTopup(1000);
    const id = await openDispute(reference, 600);
    expect(await available(user.userId)).toBe(400);
    sandbox.control.resolveDispute(id, 'merchant-accepted', { refundAmountMinor: 250 });
    const lost = await disputeReaches(reference, id, 'lost');
    expect(lost).toMatchObject({ taken: { amount: 600 }, returned: { amount: 350 } });
    expect(await available(user.userId)).toBe(750);
    expect((await historyOf(reference)).topup.reversed.amount).toBe(250);
    await expectInvariants();
  });

  it('money already spent when the dispute opens is owed and the account flagged; winning clears what is owed first', async () => {
    const { user, reference } = await creditedTopup(500);
    await spend(user.userId, 350);
    const id = await openDispute(reference);
    expect((await historyOf(reference)).disputes[0]).toMatchObject({
      fromWallet: { amount: 150 },
      receivable: { amount: 350 },
    });
    expect(await available(user.userId)).toBe(0);
    expect(await standingOf(user.userId)).toMatchObject({ flagged: true, owed: { amount: 350 } });
    expect(await auditActions(user.userId)).toContain('payments.account_flagged');
    await expectInvariants();

    sandbox.control.resolveDispute(id, 'declined');
    await disputeReaches(reference, id, 'won');
    // 350 clears the receivable, 150 goes back to the wallet: exactly what was taken.
    expect(await available(user.userId)).toBe(150);
    expect((await standingOf(user.userId)).owed.amount).toBe(0);
    // The flag stays until an administrator clears it (it records that this happened).
    expect((await standingOf(user.userId)).flagged).toBe(true);
    await expectInvariants();
  });

  it('a resolve that arrives before its create (the create was lost) opens and settles in one go', async () => {
    const { user, reference } = await creditedTopup(400);
    sandbox.control.setWebhookUrl(undefined);
    let id: number;
    try {
      id = Number(sandbox.control.openDispute(reference).id);
    } finally {
      sandbox.control.setWebhookUrl(`${appUrl}/api/v1/hooks/paystack`);
    }
    expect(await available(user.userId)).toBe(400);
    sandbox.control.resolveDispute(id, 'declined');
    await disputeReaches(reference, id, 'won');
    expect(await available(user.userId)).toBe(400);
    expect(await postingsFor(reference, 'chargeback')).toBe(2);
    await expectInvariants();
  });

  it('concurrent create and resolve deliveries settle the dispute once each way', async () => {
    const { user, reference } = await creditedTopup(300);
    const id = Number(sandbox.control.openDispute(reference).id);
    sandbox.control.resolveDispute(id, 'merchant-accepted');
    await Promise.all([
      sandbox.control.resendDisputeWebhook(id, 4),
      ...Array.from({ length: 4 }, () => app.services.payments.settleDispute(id, 'test')),
    ]);
    await disputeReaches(reference, id, 'lost');
    expect(await available(user.userId)).toBe(0);
    expect(await postingsFor(reference, 'chargeback')).toBe(1);
    await expectInvariants();
  });

  it('a dispute after a partial refund takes back no more than is left of the top-up', async () => {
    const { user, reference } = await creditedTopup(500);
    const refund = await requestRefund(reference, 300);
    const paystackId = await eventually(async () => {
      const row = (await historyOf(reference)).refunds.find((r) => r.id === refund.id);
      return row?.paystackRefundId ?? undefined;
    });
    sandbox.control.processRefund(paystackId);
    await eventually(async () => ((await available(user.userId)) === 200 ? true : undefined));
    // The bank disputes the whole 500 although 300 was refunded: only 200 is left to take.
    const id = await openDispute(reference, 500);
    expect((await historyOf(reference)).disputes[0]).toMatchObject({
      paystackDisputeId: id,
      taken: { amount: 200 },
    });
    expect(await available(user.userId)).toBe(0);
    expect((await historyOf(reference)).topup.reversed.amount).toBe(500);
    await expectInvariants();
  });

  it('a dispute of a top-up never credited (flagged) takes nothing and is recorded for an operator', async () => {
    const user = testPrincipal();
    const { reference } = await initialized(user, 500);
    sandbox.control.pay(reference, { amountMinor: 400, sendWebhook: false });
    expect((await app.services.payments.settleTopup(reference, 'callback')).outcome).toBe('flagged');
    const id = Number(sandbox.control.openDispute(reference).id);
    await sandbox.control.settled();
    expect(await app.services.payments.settleDispute(id, 'test')).toBe('ignored');
    expect((await historyOf(reference)).disputes).toEqual([]);
    expect(await available(user.userId)).toBe(0);
    expect(await postingsFor(reference, 'chargeback')).toBe(0);
    expect(await auditActions(reference)).toContain('payments.dispute_uncredited');
    await expectInvariants();
  });

  it('a dispute on a payment that is not a top-up of ours, or that Paystack does not know, changes nothing', async () => {
    // A payment taken at the same Paystack account by something else than the app.
    const foreign = `shop-order-${Date.now()}`;
    await client.initializeTransaction({
      email: 'buyer@shop.test',
      amountMinor: 900,
      currency: 'USD',
      reference: foreign,
      callbackUrl: 'https://shop.test/done',
    });
    sandbox.control.pay(foreign, { sendWebhook: false });
    const id = Number(sandbox.control.openDispute(foreign).id);
    await sandbox.control.settled();
    expect(await app.services.payments.settleDispute(id, 'test')).toBe('ignored');
    expect(await app.services.payments.settleDispute(987_654_321, 'test')).toBe('ignored');
    expect((await reconciler.reconcileFollowups()).errors).toBe(0);
    await expectInvariants();
  });

  it('a dispute webhook while the Paystack API is down is written down and settled by the reconciler', async () => {
    const { user, reference } = await creditedTopup(400);
    sandbox.control.setOutage(true);
    let id: number;
    try {
      id = Number(sandbox.control.openDispute(reference).id);
      await sandbox.control.settled();
      expect(await app.services.payments.settleDispute(id, 'test')).toBe('pending');
      expect(await available(user.userId)).toBe(400);
      expect(await postingsFor(reference, 'chargeback')).toBe(0);
    } finally {
      sandbox.control.setOutage(false);
    }
    expect((await reconciler.reconcileFollowups()).errors).toBe(0);
    await disputeReaches(reference, id, 'open');
    expect(await available(user.userId)).toBe(0);
    expect(await postingsFor(reference, 'chargeback')).toBe(1);
    await expectInvariants();
  });
});
