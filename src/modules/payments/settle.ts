import { formatMoney } from '../../platform/money.js';
import { isPaystackError, type PaystackTransaction } from '../../providers/paystack/index.js';
import type { PaymentsContext } from './context.js';
import {
  OPEN_STATUSES,
  CREDITABLE_STATUSES,
  type TopupStatus,
  decide,
  isCreditable,
  isOlderThan,
  isOpen,
  isTopupReference,
} from './domain.js';
import * as store from './store.js';
import { toView } from './views.js';

/**
 * Settle: Paystack verify by reference → one transaction: lock the row while creditable, ledger
 * transfer (key `topup:<reference>`), mark `succeeded`. It runs from the signed webhook, the
 * browser callback and the reconciler, in any order and concurrently; the row lock + status
 * condition and the ledger idempotency key each make the credit happen once.
 */

export type SettleSource = 'webhook' | 'callback' | 'reconciler';

export interface SettleResult {
  /** `credited` only for the one call that credited; later calls see `already_settled`. */
  outcome:
    'credited' | 'already_settled' | 'flagged' | 'failed' | 'abandoned' | 'pending' | 'unknown_reference';
  status: TopupStatus | null;
}

/** How many top-ups the reconciler verifies at once. */
const RECONCILE_CONCURRENCY = 8;

export function createTopupSettlement(ctx: PaymentsContext) {
  const { db, logger, ledger, now, abandonAfterMs, staleAfterMs } = ctx;
  const recordSecurityEvent = ctx.recordSecurityEvent;

  /** Asks Paystack about `reference` and settles the top-up accordingly; safe to call any number of times. */
  async function settleTopup(reference: string, source: SettleSource): Promise<SettleResult> {
    if (!isTopupReference(reference)) return { outcome: 'unknown_reference', status: null };
    const topup = await store.findByReference(db, reference);
    if (!topup) return { outcome: 'unknown_reference', status: null };
    if (!isCreditable(topup.status)) {
      return { outcome: 'already_settled', status: topup.status };
    }

    let verified: PaystackTransaction;
    try {
      verified = await ctx.paystack().verifyTransaction(reference);
    } catch (error) {
      if (isPaystackError(error, 'not_found')) {
        return settleUnknownAtPaystack(topup, source);
      }
      logger.warn({ err: error, reference, source }, 'Paystack verify failed; the top-up stays pending');
      return { outcome: 'pending', status: topup.status };
    }

    const decision = decide(
      {
        reference,
        status: topup.status,
        chargeCurrency: topup.chargeCurrency,
        chargeAmountMinor: topup.chargeAmountMinor,
        createdAt: topup.createdAt,
      },
      verified,
      now(),
      abandonAfterMs,
    );

    switch (decision.action) {
      case 'credit':
        return credit(reference, verified, source);
      case 'flag':
        return flag(reference, verified, decision.reason, source);
      case 'fail': {
        const row = await store.markSettledWithout(
          db,
          reference,
          ['initializing', 'initialized', 'abandoned'],
          {
            status: 'failed',
            reason: decision.reason,
            paystackTransactionId: verified.id,
          },
        );
        return row ? { outcome: 'failed', status: 'failed' } : current(reference);
      }
      case 'abandon': {
        const row = await store.markSettledWithout(db, reference, OPEN_STATUSES, {
          status: 'abandoned',
          reason: 'not_paid_in_time',
          paystackTransactionId: verified.id,
        });
        return row ? { outcome: 'abandoned', status: 'abandoned' } : current(reference);
      }
      case 'wait':
        await store.touchVerified(db, reference);
        return { outcome: 'pending', status: topup.status };
    }
  }

  /** Verify says Paystack never heard of it: an initialize that never landed. Give up when old. */
  async function settleUnknownAtPaystack(topup: store.TopupRow, source: SettleSource): Promise<SettleResult> {
    if (
      source === 'reconciler' &&
      isOpen(topup.status) &&
      isOlderThan(topup.createdAt, now(), abandonAfterMs)
    ) {
      const row = await store.markSettledWithout(db, topup.reference, OPEN_STATUSES, {
        status: 'failed',
        reason: 'unknown_at_paystack',
      });
      if (row) return { outcome: 'failed', status: 'failed' };
    }
    await store.touchVerified(db, topup.reference);
    return { outcome: 'pending', status: topup.status };
  }

  /** ONE transaction: lock the row while creditable, post the ledger transfer, mark succeeded. */
  async function credit(
    reference: string,
    verified: PaystackTransaction,
    source: SettleSource,
  ): Promise<SettleResult> {
    return db.transaction(async (tx) => {
      const topup = await store.lockInStatus(tx, reference, CREDITABLE_STATUSES);
      if (!topup) {
        const settled = await store.findByReference(tx, reference);
        return { outcome: 'already_settled', status: settled?.status ?? null };
      }
      const posting = await ledger.creditTopup(tx, {
        ownerId: topup.userId,
        amount: topup.amountUsdCents,
        reference,
        memo: topupMemo(topup),
        metadata: {
          reference,
          topupId: topup.id,
          paystackTransactionId: verified.id,
          charge: { amount: topup.chargeAmountMinor, currency: topup.chargeCurrency },
          ...(topup.ngnPerUsd === null ? {} : { ngnPerUsd: topup.ngnPerUsd }),
          source,
        },
      });
      const succeeded = await store.markSucceeded(tx, topup.id, {
        ledgerTransactionId: posting.transactionId,
        paystackTransactionId: verified.id,
      });
      if (posting.duplicate) {
        // The ledger already had this top-up although the row was not succeeded: repaired, not re-credited.
        logger.error({ reference }, 'top-up row was behind its ledger transaction; marked succeeded');
        return { outcome: 'already_settled', status: 'succeeded' };
      }
      await ctx.webhooks.emitEvent(tx, {
        userId: topup.userId,
        type: 'wallet.topup.succeeded',
        data: { ...toView(succeeded) },
      });
      logger.info({ reference, source, amount: topup.amountUsdCents }, 'top-up credited');
      return { outcome: 'credited', status: 'succeeded' };
    });
  }

  /** Paid, but not what was initialized: never credited; flagged and recorded for an operator. */
  async function flag(
    reference: string,
    verified: PaystackTransaction,
    reason: string,
    source: SettleSource,
  ): Promise<SettleResult> {
    return db.transaction(async (tx) => {
      const row = await store.markSettledWithout(tx, reference, CREDITABLE_STATUSES, {
        status: 'flagged',
        reason,
        paystackTransactionId: verified.id,
        paidAmountMinor: verified.amountMinor,
        paidCurrency: verified.currency,
      });
      if (!row) {
        const settled = await store.findByReference(tx, reference);
        return { outcome: 'already_settled', status: settled?.status ?? null };
      }
      await recordSecurityEvent(tx, {
        kind: 'payments.topup_flagged',
        userId: row.userId,
        reference,
        detail: {
          reason,
          source,
          expected: { amount: row.chargeAmountMinor, currency: row.chargeCurrency },
          paid: { amount: verified.amountMinor, currency: verified.currency },
          paystackReference: verified.reference,
          paystackTransactionId: verified.id,
        },
      });
      logger.warn({ reference, reason, source }, 'top-up flagged: paid amount or currency differs');
      return { outcome: 'flagged', status: 'flagged' };
    });
  }

  async function current(reference: string): Promise<SettleResult> {
    const row = await store.findByReference(db, reference);
    return { outcome: 'already_settled', status: row?.status ?? null };
  }

  /** The reconciler's pass over stale open top-ups; each is settled on its own. */
  async function reconcileTopups(limit = 100): Promise<Record<SettleResult['outcome'] | 'error', number>> {
    const counts = {
      credited: 0,
      already_settled: 0,
      flagged: 0,
      failed: 0,
      abandoned: 0,
      pending: 0,
      unknown_reference: 0,
      error: 0,
    };
    const rows = await store.staleOpenTopups(db, new Date(now().getTime() - staleAfterMs), limit);
    // Several at a time: one slow verify must not hold every other credit back (a backlog after an
    // outage is 100 top-ups). Bounded, to stay a polite client of Paystack and of the pool.
    let next = 0;
    const worker = async () => {
      while (next < rows.length) {
        const row = rows[next++]!;
        try {
          counts[(await settleTopup(row.reference, 'reconciler')).outcome] += 1;
        } catch (error) {
          counts.error += 1;
          logger.error({ err: error, reference: row.reference }, 'top-up reconciliation failed');
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(RECONCILE_CONCURRENCY, rows.length) }, worker));
    return counts;
  }

  return { settleTopup, reconcileTopups };
}

function topupMemo(topup: store.TopupRow): string {
  const dollars = formatMoney(topup.amountUsdCents, 'USD');
  return topup.chargeCurrency === 'NGN'
    ? `Wallet top-up ${dollars} (paid ${formatMoney(topup.chargeAmountMinor, 'NGN')} at ${topup.ngnPerUsd} NGN/USD)`
    : `Wallet top-up ${dollars}`;
}
