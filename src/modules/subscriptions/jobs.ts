import type { Jobs } from '../../platform/jobs.js';
import type { Logger } from '../../platform/logger.js';
import { SEND_SUBSCRIPTION_MAIL, type SubscriptionMailJob } from './mail.js';
import type { SubscriptionsService } from './service.js';

export const RENEW_SUBSCRIPTIONS = 'subscriptions.renew';

export interface SubscriptionsJobsDeps {
  logger: Pick<Logger, 'info'>;
  subscriptions: SubscriptionsService;
}

/**
 * Every five minutes: plans whose period is over are renewed (or ended, when canceled), past-due
 * plans are charged again until their grace ends and then downgraded. Several workers may run it
 * at once: each period is charged once (see renewal.ts). The plan e-mails go through their own queue.
 */
export function defineSubscriptionsJobs(jobs: Jobs, deps: SubscriptionsJobsDeps): void {
  const service = deps.subscriptions;
  jobs.define({
    name: RENEW_SUBSCRIPTIONS,
    cron: '*/5 * * * *',
    retryLimit: 0,
    handler: async () => {
      const counts = await service.renewDue();
      const { none: _unchanged, ...changed } = counts;
      if (Object.values(changed).some((n) => n > 0)) deps.logger.info({ counts }, 'subscriptions renewed');
    },
  });
  jobs.define<SubscriptionMailJob>({
    name: SEND_SUBSCRIPTION_MAIL,
    retryLimit: 5,
    handler: (job) => service.deliverMail(job),
  });
}
