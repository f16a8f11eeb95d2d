import { type PaystackDispute, isPaystackError } from '../../providers/paystack/index.js';
import type { PaymentsContext } from './context.js';
import { centsForCharge, disputeOutcome } from './domain.js';
import * as reversals from './reversal-store.js';
import * as store from './store.js';
import type { createTakeBack } from './take-back.js';

/**
 * Chargebacks. Every `charge.dispute.*` webhook (and the reconciler) leads here with a dispute id;
 * what Paystack answers to `GET /dispute/:id` decides, so events may come late, twice or out of
 * order. In one transaction with the top-up locked: a dispute seen for the first time is opened
 * (the disputed amount is taken back from the wallet; what was already spent becomes a
 * receivable); a resolved one is settled once: won (`declined`: the platform keeps the money) →
 * what was taken is given back, receivable first; lost (`merchant-accepted`: the payer keeps
 * `refund_amount`) → that much stays taken, any excess is given back.
 */

export type DisputeSettleOutcome = 'opened' | 'resolved' | 'unchanged' | 'pending' | 'ignored';

export function createDisputes(ctx: PaymentsContext, takeBacks: ReturnType<typeof createTakeBack>) {
  const { db, logger } = ctx;

  async function settleDispute(paystackDisputeId: number, source: string): Promise<DisputeSettleOutcome> {
    let verified: PaystackDispute;
    try {
      verified = await ctx.paystack().getDispute(paystackDisputeId);
    } catch (error) {
      if (isPaystackError(error, 'not_found')) {
        logger.warn({ paystackDisputeId, source }, 'dispute unknown at Paystack; no longer followed');
        await reversals.markFollowupChecked(db, 'dispute', paystackDisputeId, true);
        return 'ignored';
      }
      logger.warn(
        { err: error, paystackDisputeId, source },
        'Paystack dispute fetch failed; followed up later',
      );
      return 'pending';
    }
    const topup = verified.transactionReference
      ? await store.findByReference(db, verified.transactionReference)
      : undefined;
    const disputedMinor = verified.refundAmountMinor ?? verified.transactionAmountMinor;
    if (!topup || verified.currency !== topup.chargeCurrency || !disputedMinor) {
      logger.warn(
        { paystackDisputeId, reference: verified.transactionReference },
        'dispute of no top-up of ours',
      );
      await reversals.markFollowupChecked(db, 'dispute', paystackDisputeId, true);
      return 'ignored';
    }
    const outcome = disputeOutcome(verified);
    const result = await db.transaction(async (tx): Promise<DisputeSettleOutcome> => {
      const locked = await reversals.lockTopup(tx, topup.id);
      if (locked.status !== 'succeeded') {
        // Never credited, so nothing to take back; an operator should still know.
        await ctx.recordSecurityEvent(tx, {
          kind: 'payments.dispute_uncredited',
          userId: topup.userId,
          reference: topup.reference,
          detail: { paystackDisputeId, status: locked.status, source },
        });
        return 'ignored';
      }
      let row = await reversals.lockDispute(tx, verified.id);
      let settled: DisputeSettleOutcome = 'unchanged';
      if (!row) {
        const cents = Math.min(centsForCharge(topup, disputedMinor), topup.amountUsdCents);
        const taken = await takeBacks.takeBack(tx, locked, {
          cents,
          kind: 'chargeback',
          reference: `paystack-dispute:${verified.id}`,
          memo: `Chargeback on top-up ${topup.reference}`,
          source: `dispute ${verified.id}`,
        });
        row = await reversals.insertOpenedDispute(tx, {
          topupId: topup.id,
          userId: topup.userId,
          paystackDisputeId: verified.id,
          amountMinor: disputedMinor,
          currency: topup.chargeCurrency,
          amountUsdCents: Math.max(1, cents),
          takenCents: taken.cents,
          fromWalletCents: taken.fromWallet,
          receivableCents: taken.receivable,
          openTransactionId: taken.transactionId,
        });
        await ctx.recordSecurityEvent(tx, {
          kind: 'payments.dispute_opened',
          userId: topup.userId,
          reference: topup.reference,
          detail: { paystackDisputeId: verified.id, ...taken, source },
        });
        settled = 'opened';
      }
      if (outcome === null) {
        logger.error(
          { paystackDisputeId, resolution: verified.resolution },
          'dispute resolution not understood',
        );
        return settled;
      }
      if (outcome === 'open' || row.status !== 'open') return settled;

      const keep =
        outcome === 'won'
          ? 0
          : Math.min(centsForCharge(topup, verified.refundAmountMinor ?? row.amountMinor), row.takenCents);
      const returned = row.takenCents - keep;
      const given = await takeBacks.giveBack(tx, locked, {
        cents: returned,
        clearReceivable: row.receivableCents,
        reference: `paystack-dispute:${verified.id}`,
        memo:
          outcome === 'won'
            ? `Chargeback on top-up ${topup.reference} resolved in our favour`
            : `Chargeback on top-up ${topup.reference} resolved: part given back`,
      });
      await reversals.markDisputeResolved(tx, row.id, {
        status: outcome,
        resolution: verified.resolution ?? outcome,
        returnedCents: returned,
        receivableClearedCents: given.cleared,
        resolveTransactionId: given.transactionId,
      });
      await ctx.recordSecurityEvent(tx, {
        kind: 'payments.dispute_resolved',
        userId: topup.userId,
        reference: topup.reference,
        detail: {
          paystackDisputeId: verified.id,
          outcome,
          resolution: verified.resolution,
          kept: keep,
          returned,
          receivableCleared: given.cleared,
          transactionId: given.transactionId,
          source,
        },
      });
      return 'resolved';
    });
    const final = outcome !== 'open' && outcome !== null && result !== 'pending';
    await reversals.markFollowupChecked(db, 'dispute', verified.id, final || result === 'ignored');
    if (result === 'opened' || result === 'resolved') {
      logger.info({ paystackDisputeId: verified.id, result, source }, 'dispute settled');
    }
    return result;
  }

  return { settleDispute };
}
