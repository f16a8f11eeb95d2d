import { notFound } from '../../platform/errors.js';
import type { Db } from '../../platform/db/database.js';
import type { PaymentsContext } from './context.js';
import { isTopupReference } from './domain.js';
import * as reversals from './reversal-store.js';
import * as store from './store.js';
import { toDisputeView, toRefundView, toView } from './views.js';

const usd = (amount: number) => ({ amount, currency: 'USD' });

/** For administrators: what a user owes after refunds and chargebacks, the wallet's flag, a top-up's history. */
export function createAccountStanding(ctx: PaymentsContext) {
  const { db, ledger } = ctx;

  /** `on` a transaction to read it in its snapshot. */
  async function accountStanding(userId: string, on: Db = db) {
    const flag = await ledger.walletFlag(on, userId);
    const owed = await reversals.receivableOwed(on, userId);
    return {
      flagged: flag !== null,
      flaggedAt: flag?.flaggedAt.toISOString() ?? null,
      flagReason: flag?.reason ?? null,
      owed: usd(owed),
    };
  }

  /** A top-up with what was taken back from it, its refunds and its disputes. */
  async function topupHistory(reference: string) {
    const topup = isTopupReference(reference) ? await store.findByReference(db, reference) : undefined;
    if (!topup) throw notFound('Top-up');
    const [refunds, disputes] = await Promise.all([
      reversals.refundsOfTopup(db, topup.id),
      reversals.disputesOfTopup(db, topup.id),
    ]);
    const { authorizationUrl: _url, ...view } = toView(topup);
    return {
      topup: { ...view, userId: topup.userId, reversed: usd(topup.reversedUsdCents) },
      refunds: refunds.map((row) => toRefundView(row, topup.reference)),
      disputes: disputes.map(toDisputeView),
    };
  }

  /** An administrator dealt with the flag (e.g. the user paid what they owed); audited with a reason. */
  async function clearAccountFlag(
    actor: { userId: string; ip: string | null },
    userId: string,
    reason: string,
  ) {
    await db.transaction(async (tx) => {
      const cleared = await ledger.clearWalletFlag(tx, userId);
      if (!cleared) return;
      await ctx.audit.record(tx, {
        actorId: actor.userId,
        action: 'admin.account_flag_cleared',
        subjectType: 'user',
        subjectId: userId,
        ip: actor.ip,
        details: { reason },
      });
    });
    return accountStanding(userId);
  }

  return { accountStanding, topupHistory, clearAccountFlag };
}
