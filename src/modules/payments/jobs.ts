import type { Jobs } from '../../platform/jobs.js';
import type { Logger } from '../../platform/logger.js';
import type { PaymentsService } from './service.js';

export const RECONCILE_TOPUPS = 'payments.reconcile-topups';

/**
 * Every minute: top-ups still open after a minute are verified with Paystack (credited when paid,
 * failed when Paystack says failed/reversed, abandoned when unpaid for two hours). This is what
 * completes a top-up whose webhook and callback both missed (provider outage, lost webhook). The
 * same pass asks Paystack about every refund and dispute not yet final.
 */
export interface PaymentsJobsDeps {
  logger: Pick<Logger, 'info'>;
  payments: PaymentsService;
}

export function definePaymentsJobs(jobs: Jobs, deps: PaymentsJobsDeps): void {
  const service = deps.payments;
  jobs.define({
    name: RECONCILE_TOPUPS,
    cron: '* * * * *',
    retryLimit: 0,
    handler: async () => {
      const counts = await service.reconcileTopups();
      if (Object.values(counts).some((n) => n > 0)) deps.logger.info({ counts }, 'top-ups reconciled');
      // Refunds and chargebacks not yet final (a webhook lost, or its settling failed).
      const followups = await service.reconcileFollowups();
      if (followups.checked > 0) deps.logger.info({ followups }, 'refunds and disputes followed up');
    },
  });
}
