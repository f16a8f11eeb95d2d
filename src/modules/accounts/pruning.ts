/** What accounts keep, and for how long, once it no longer serves anyone. */
import type { Db } from '../../platform/db/database.js';
import { FAILURE_WINDOW_SECONDS } from './domain.js';
import * as store from './store.js';

const DAY_SECONDS = 24 * 60 * 60;
/** Ended sessions stay this long after expiry or revocation (the session list, investigations). */
const ENDED_SESSION_RETENTION_SECONDS = 30 * DAY_SECONDS;
/** Used or expired e-mail tokens stay a day (a late click still finds "already used", not "unknown"). */
const SPENT_EMAIL_TOKEN_RETENTION_SECONDS = DAY_SECONDS;

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
