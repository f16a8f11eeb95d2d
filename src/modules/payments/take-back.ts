import type { Db } from '../../platform/db/database.js';
import { formatMoney } from '../../platform/money.js';
import type { PaymentsContext } from './context.js';
import * as reversals from './reversal-store.js';
import type { TopupRow } from './store.js';

/**
 * Taking money back from a credited top-up and giving it back, shared by refunds and disputes.
 * Runs in the caller's transaction with the top-up row locked: the top-up's running total of what
 * was taken back bounds every take (never more than the top-up), the ledger posts the movement
 * once per Paystack id, and a shortfall (the money was already spent) is a receivable and flags
 * the wallet, with an audit entry.
 */

export interface Taken {
  cents: number;
  fromWallet: number;
  receivable: number;
  transactionId: string | null;
}

export function createTakeBack(ctx: PaymentsContext) {
  const { ledger } = ctx;

  /** Takes back up to `cents` (capped at what is left of the top-up). */
  async function takeBack(
    tx: Db,
    topup: TopupRow,
    input: { cents: number; kind: 'refund' | 'chargeback'; reference: string; memo: string; source: string },
  ): Promise<Taken> {
    const cents = Math.min(input.cents, topup.amountUsdCents - topup.reversedUsdCents);
    if (cents <= 0) return { cents: 0, fromWallet: 0, receivable: 0, transactionId: null };
    const taken = await ledger.takeBackTopup(tx, {
      ownerId: topup.userId,
      amount: cents,
      kind: input.kind,
      reference: input.reference,
      memo: input.memo,
      metadata: { topupReference: topup.reference, source: input.source },
    });
    if (!taken.duplicate) await reversals.addReversed(tx, topup.id, cents);
    if (taken.receivable > 0 && !taken.duplicate) {
      const flaggedNow = await ledger.flagWallet(tx, {
        ownerId: topup.userId,
        reason: `Owes ${formatMoney(taken.receivable, 'USD')} after ${input.source}`,
      });
      await ctx.audit.record(tx, {
        actorId: null,
        action: 'payments.account_flagged',
        subjectType: 'user',
        subjectId: topup.userId,
        details: {
          reason: 'receivable',
          receivable: taken.receivable,
          currency: 'USD',
          source: input.source,
          topupReference: topup.reference,
          transactionId: taken.transactionId,
          firstFlag: flaggedNow,
        },
      });
      ctx.logger.warn(
        { userId: topup.userId, receivable: taken.receivable, source: input.source },
        'money taken back was already spent: receivable recorded, account flagged',
      );
    }
    return {
      cents,
      fromWallet: taken.fromWallet,
      receivable: taken.receivable,
      transactionId: taken.transactionId,
    };
  }

  /** Gives `cents` back (a won dispute), clearing up to `clearReceivable` of what it left owed first. */
  async function giveBack(
    tx: Db,
    topup: TopupRow,
    input: { cents: number; clearReceivable: number; reference: string; memo: string },
  ): Promise<{ transactionId: string | null; cleared: number }> {
    if (input.cents <= 0) return { transactionId: null, cleared: 0 };
    const cleared = Math.min(input.clearReceivable, input.cents);
    const posted = await ledger.returnTakenBack(tx, {
      ownerId: topup.userId,
      amount: input.cents,
      clearReceivable: cleared,
      reference: input.reference,
      memo: input.memo,
      metadata: { topupReference: topup.reference },
    });
    if (!posted.duplicate) await reversals.addReversed(tx, topup.id, -input.cents);
    return { transactionId: posted.transactionId, cleared };
  }

  return { takeBack, giveBack };
}
