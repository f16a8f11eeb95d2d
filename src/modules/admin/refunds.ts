import type { AccountsService } from '../accounts/index.js';
import type { PaymentsService } from '../payments/index.js';
import { notFound } from '../../platform/errors.js';

/** The administrators' side of refunds and chargebacks; the payments module does the work and the auditing. */
export function createAdminRefunds(deps: { accounts: AccountsService; payments: PaymentsService }) {
  return {
    refundTopup(
      actor: { userId: string; ip: string | null },
      input: { reference: string; amountUsdCents?: number | undefined; reason: string; requestKey: string },
    ) {
      return deps.payments.refundTopup({
        actor,
        reference: input.reference,
        ...(input.amountUsdCents === undefined ? {} : { amountUsdCents: input.amountUsdCents }),
        reason: input.reason,
        requestKey: input.requestKey,
      });
    },

    topupHistory: (reference: string) => deps.payments.topupHistory(reference),

    async clearAccountFlag(actor: { userId: string; ip: string | null }, userId: string, reason: string) {
      if (!(await deps.accounts.findUserById(userId))) throw notFound('User');
      return deps.payments.clearAccountFlag(actor, userId, reason);
    },
  };
}
