/** Background work of accounts: its e-mails, and the daily pruning of rows that no longer serve anyone. */
import type { Db } from '../../platform/db/database.js';
import type { Jobs } from '../../platform/jobs.js';
import type { Logger } from '../../platform/logger.js';
import { FAILURE_WINDOW_SECONDS } from './domain.js';
import { type AccountMailJob, SEND_ACCOUNT_MAIL } from './mail.js';
import type { AccountsService } from './service.js';
import * as store from './store.js';

export const PRUNE_ACCOUNTS = 'accounts.prune';

const DAY_SECONDS = 24 * 60 * 60;
/** Ended sessions stay this long after expiry or revocation (the session list, investigations). */
export const ENDED_SESSION_RETENTION_SECONDS = 30 * DAY_SECONDS;
/** Used or expired e-mail tokens stay a day (a late click still finds "already used", not "unknown"). */
export const SPENT_EMAIL_TOKEN_RETENTION_SECONDS = DAY_SECONDS;

export interface PruneCounts {
  sessions: number;
  emailTokens: number;
  captchaUses: number;
  loginFailures: number;
}

/**
 * Deletes sessions (with their refresh tokens) expired or revoked more than 30 days ago, e-mail
 * tokens used or expired more than a day ago, replay rows of expired captcha challenges, and
 * failed-sign-in counts older than the failure window. Safe to run at any time, any number of times.
 */
export async function pruneAccountRecords(db: Db): Promise<PruneCounts> {
  return {
    sessions: await store.deleteEndedSessions(db, ENDED_SESSION_RETENTION_SECONDS),
    emailTokens: await store.deleteSpentEmailTokens(db, SPENT_EMAIL_TOKEN_RETENTION_SECONDS),
    captchaUses: await store.deleteExpiredCaptchaUses(db),
    loginFailures: await store.deleteStaleLoginFailures(db, FAILURE_WINDOW_SECONDS),
  };
}

export interface AccountsJobsDeps {
  db: Db;
  logger: Logger;
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
      const counts = await pruneAccountRecords(deps.db);
      deps.logger.info({ counts }, 'account records pruned');
    },
  });
}
