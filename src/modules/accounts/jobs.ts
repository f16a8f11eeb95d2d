/** Background work of accounts: its e-mails, and the daily pruning of rows that no longer serve anyone. */
import type { Jobs } from '../../platform/jobs.js';
import type { Logger } from '../../platform/logger.js';
import { type AccountMailJob, SEND_ACCOUNT_MAIL } from './mail.js';
import type { AccountsService } from './service.js';

export const PRUNE_ACCOUNTS = 'accounts.prune';

export interface AccountsJobsDeps {
  logger: Pick<Logger, 'info'>;
  accounts: AccountsService;
}

export function defineAccountsJobs(jobs: Jobs, deps: AccountsJobsDeps): void {
  const { mail } = deps.accounts;
  jobs.define<AccountMailJob>({
    name: SEND_ACCOUNT_MAIL,
    // SMTP hiccups are retried with backoff; a token link older than its mail is replaced anyway.
    retryLimit: 5,
    handler: (job) => mail.deliver(job),
  });
  jobs.define({
    name: PRUNE_ACCOUNTS,
    // Daily, at a quiet hour (UTC).
    cron: '17 3 * * *',
    retryLimit: 2,
    handler: async () => {
      const counts = await deps.accounts.pruneRecords();
      deps.logger.info({ counts }, 'account records pruned');
    },
  });
}
