import { createHash } from 'node:crypto';
import { AppError, notFound, providerUnavailable } from '../../platform/errors.js';
import { formatMoney } from '../../platform/money.js';
import { type PaystackRefund, isPaystackError } from '../../providers/paystack/index.js';
import type { PaymentsContext } from './context.js';
import { centsForCharge, isFinalRefundStatus, refundStatusOf, refundableCents } from './domain.js';
import * as reversals from './reversal-store.js';
import * as store from './store.js';
import type { createTakeBack } from './take-back.js';
import { type RefundView, toRefundView } from './views.js';

/**
 * Refunds of credited top-ups. An administrator's request reads as phases around the Paystack
 * call: (1) one transaction checks what is left to refund with the top-up locked, writes the
 * `requested` row and its audit entry; (2) `POST /refund`, outside any transaction, never retried
 * blindly; (3) the row learns Paystack's id and is followed up. Nothing leaves the wallet then:
 * `settleRefund` takes the money back once Paystack reports the refund processed (webhook or
 * reconciler, verified with `GET /refund/:id`), exactly once per Paystack refund id.
 */

export type RefundSettleOutcome = 'processed' | 'already_settled' | 'updated' | 'pending' | 'ignored';

const notRefundable = (message: string, refundable?: number) =>
  new AppError(
    409,
    'not_refundable',
    message,
    refundable === undefined ? undefined : { refundable: { amount: refundable, currency: 'USD' } },
  );

/** One refund per administrator request: their key, the top-up and the amount asked for. */
function refundRequestKey(input: { actorId: string; requestKey: string; reference: string; cents?: number }) {
  const digest = createHash('sha256')
    .update(`${input.actorId}\n${input.requestKey}\n${input.reference}\n${input.cents ?? 'full'}`)
    .digest('hex');
  return `admin-refund:${digest}`;
}

export function createRefunds(ctx: PaymentsContext, takeBacks: ReturnType<typeof createTakeBack>) {
  const { db, logger } = ctx;

  async function refundTopup(input: {
    actor: { userId: string; ip: string | null };
    reference: string;
    /** USD cents to give back; omitted: everything left to refund. */
    amountUsdCents?: number;
    reason: string;
    requestKey: string;
  }): Promise<RefundView> {
    const client = ctx.paystack();
    const topup = await store.findByReference(db, input.reference);
    if (!topup) throw notFound('Top-up');
    const requestKey = refundRequestKey({
      actorId: input.actor.userId,
      requestKey: input.requestKey,
      reference: input.reference,
      cents: input.amountUsdCents,
    });

    // Phase 1: the request is on record (with its audit entry) before Paystack hears of it.
    const requested = await db.transaction(async (tx) => {
      const earlier = await reversals.findRefundByRequestKey(tx, requestKey);
      if (earlier) return { row: earlier, created: false };
      const locked = await reversals.lockTopup(tx, topup.id);
      if (locked.status !== 'succeeded') throw notRefundable('Only a credited top-up can be refunded.');
      if (await reversals.hasUnwonDispute(tx, topup.id)) {
        throw notRefundable('The top-up is disputed: its chargeback decides what goes back.');
      }
      const refundable = refundableCents(locked, await reversals.inFlightRefundCents(tx, topup.id));
      const cents = input.amountUsdCents ?? refundable;
      if (cents <= 0 || cents > refundable) {
        throw notRefundable(
          `At most ${formatMoney(refundable, 'USD')} of this top-up can be refunded.`,
          refundable,
        );
      }
      const row = await reversals.insertRefund(tx, {
        topupId: topup.id,
        userId: topup.userId,
        status: 'requested',
        amountMinor: topup.ngnPerUsd === null ? cents : cents * topup.ngnPerUsd,
        currency: topup.chargeCurrency,
        amountUsdCents: cents,
        requestedBy: input.actor.userId,
        reason: input.reason,
        requestKey,
      });
      // The same request racing itself: the first one's row answers both.
      if (!row) return { row: (await reversals.findRefundByRequestKey(tx, requestKey))!, created: false };
      await ctx.audit.record(tx, {
        actorId: input.actor.userId,
        action: 'admin.topup_refund_requested',
        subjectType: 'topup',
        subjectId: topup.reference,
        ip: input.actor.ip,
        details: {
          userId: topup.userId,
          refundId: row.id,
          amount: cents,
          currency: 'USD',
          charge: { amount: row.amountMinor, currency: row.currency },
          reason: input.reason,
        },
      });
      return { row, created: true };
    });
    if (!requested.created) {
      // A replay never asks Paystack twice; a refused request stays refused.
      if (requested.row.status === 'rejected') throw rejected();
      return toRefundView(requested.row, topup.reference);
    }
    const row = requested.row;

    // Phase 2: Paystack, outside any transaction.
    let refund: PaystackRefund;
    try {
      refund = await client.refund({
        transaction: topup.reference,
        amountMinor: row.amountMinor,
        currency: row.currency,
        merchantNote: `Namaskah refund ${row.id}`,
      });
    } catch (error) {
      const ambiguous = isPaystackError(error) ? error.ambiguous : true;
      await reversals.setRefundStatus(db, row.id, ambiguous ? 'unknown' : 'rejected', ['requested']);
      logger.warn(
        { err: error, reference: topup.reference, refundId: row.id, ambiguous },
        'Paystack refund failed',
      );
      if (
        !ambiguous &&
        isPaystackError(error) &&
        (error.kind === 'validation' || error.kind === 'not_found')
      ) {
        throw rejected(error.message);
      }
      throw providerUnavailable(
        ambiguous
          ? 'Paystack did not answer; the refund is recorded and will be matched when Paystack reports it.'
          : 'The payment provider is unavailable; please try again shortly.',
      );
    }

    // Phase 3: the row learns Paystack's id (unless its webhook got there first) and is followed.
    const named = await db.transaction(async (tx) => {
      await reversals.lockTopup(tx, topup.id);
      const holder = await reversals.lockRefundByPaystackId(tx, refund.id);
      if (!holder) await reversals.nameRefund(tx, row.id, refund.id);
      await reversals.setRefundStatus(tx, row.id, refundStatusOf(refund.status), ['requested']);
      await reversals.followUp(tx, 'refund', refund.id, topup.reference);
      return (await reversals.findRefund(tx, row.id))!;
    });
    logger.info(
      { reference: topup.reference, refundId: row.id, paystackRefundId: refund.id },
      'refund requested',
    );
    return toRefundView(named, topup.reference);
  }

  /**
   * Asks Paystack about refund `paystackRefundId` and applies what it says: processed → the money
   * is taken back from the wallet once (the rest, if spent, is a receivable); other statuses are
   * recorded. Safe to call any number of times, concurrently. Returns whether it is final.
   */
  async function settleRefund(paystackRefundId: number, source: string): Promise<RefundSettleOutcome> {
    let verified: PaystackRefund;
    try {
      verified = await ctx.paystack().getRefund(paystackRefundId);
    } catch (error) {
      if (isPaystackError(error, 'not_found')) {
        logger.warn({ paystackRefundId, source }, 'refund unknown at Paystack; no longer followed');
        await reversals.markFollowupChecked(db, 'refund', paystackRefundId, true);
        return 'ignored';
      }
      logger.warn(
        { err: error, paystackRefundId, source },
        'Paystack refund fetch failed; followed up later',
      );
      return 'pending';
    }
    const topup = verified.transactionReference
      ? await store.findByReference(db, verified.transactionReference)
      : undefined;
    if (!topup || verified.currency !== topup.chargeCurrency) {
      logger.warn(
        { paystackRefundId, reference: verified.transactionReference },
        'refund of no top-up of ours',
      );
      await reversals.markFollowupChecked(db, 'refund', paystackRefundId, true);
      return 'ignored';
    }
    const status = refundStatusOf(verified.status);
    const outcome = await db.transaction(async (tx): Promise<RefundSettleOutcome> => {
      const locked = await reversals.lockTopup(tx, topup.id);
      const cents = centsForCharge(topup, verified.amountMinor);
      const row =
        (await reversals.lockRefundByPaystackId(tx, verified.id)) ??
        (await reversals.claimUnnamedRefund(tx, topup.id, verified.amountMinor, verified.id)) ??
        // A refund made outside our API (the Paystack dashboard).
        (await reversals.insertRefund(tx, {
          topupId: topup.id,
          userId: topup.userId,
          status: 'pending',
          paystackRefundId: verified.id,
          amountMinor: verified.amountMinor,
          currency: topup.chargeCurrency,
          amountUsdCents: Math.max(1, cents),
        }))!;
      if (row.status === 'processed') return 'already_settled';
      if (status !== 'processed') {
        if (isFinalRefundStatus(row.status) || row.status === status) return 'already_settled';
        await reversals.setRefundStatus(tx, row.id, status, [row.status]);
        return 'updated';
      }
      // A top-up never credited (e.g. flagged for a mismatch) gave the wallet nothing to take back.
      const credited = locked.status === 'succeeded';
      const taken = await takeBacks.takeBack(tx, locked, {
        cents: credited ? cents : 0,
        kind: 'refund',
        reference: `paystack-refund:${verified.id}`,
        memo: `Refund of top-up ${topup.reference}`,
        source: `refund ${verified.id}`,
      });
      await reversals.markRefundProcessed(tx, row.id, {
        fromWalletCents: taken.fromWallet,
        receivableCents: taken.receivable,
        ledgerTransactionId: taken.transactionId,
      });
      await ctx.recordSecurityEvent(tx, {
        kind: 'payments.refund_processed',
        userId: topup.userId,
        reference: topup.reference,
        detail: {
          paystackRefundId: verified.id,
          charge: { amount: verified.amountMinor, currency: verified.currency },
          taken: taken.cents,
          fromWallet: taken.fromWallet,
          receivable: taken.receivable,
          transactionId: taken.transactionId,
          ...(credited ? {} : { topupStatus: locked.status }),
          source,
        },
      });
      return 'processed';
    });
    // Done only once Paystack's own answer is final: a replayed `refund.pending` matching the row
    // ('already_settled') must not end the follow-up, or a lost `refund.processed` is never found.
    const final = status === 'processed' || status === 'failed';
    await reversals.markFollowupChecked(db, 'refund', verified.id, final);
    if (outcome === 'processed') logger.info({ paystackRefundId: verified.id, source }, 'refund taken back');
    return outcome;
  }

  return { refundTopup, settleRefund };
}

const rejected = (why?: string) =>
  new AppError(422, 'provider_rejected', `Paystack refused the refund${why ? `: ${why}` : '.'}`);
