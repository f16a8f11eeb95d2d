/** Background work of verifications, on pg-boss (one scheduled run per minute across all workers). */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Jobs } from '../../platform/jobs.js';
import { SMS_POLL_CADENCE } from '../routing/index.js';
import type { VerificationsService } from './service.js';

export const VERIFICATION_JOBS = {
  poll: 'verifications.poll-sms',
  sweep: 'verifications.sweep-expired',
  reconcile: 'verifications.reconcile-pending',
  upstream: 'verifications.upstream-actions',
} as const;

/**
 * The poller runs every POLL_EVERY_MS inside its one-minute slot (cron has minute resolution): as
 * often as the most frequent provider cadence asks; each cycle polls only the orders then due.
 */
const POLL_EVERY_MS = Math.min(...Object.values(SMS_POLL_CADENCE).map((cadence) => cadence.everyMs));
const POLL_SLOT_MS = 55_000;

export interface VerificationJobsDeps {
  verifications: VerificationsService;
}

export function defineVerificationJobs(jobs: Jobs, deps: VerificationJobsDeps): void {
  const service = deps.verifications;
  jobs.define({
    name: VERIFICATION_JOBS.poll,
    cron: '* * * * *',
    // Orders of a provider without webhooks (5sim) get their code only through this poller.
    startNow: true,
    retryLimit: 0,
    handler: async (_data, { signal }) => {
      const started = Date.now();
      while (!signal.aborted) {
        await service.pollActive();
        if (Date.now() - started + POLL_EVERY_MS > POLL_SLOT_MS) return;
        // A stopping process ends the slot at once instead of polling a closing database.
        await sleep(POLL_EVERY_MS, undefined, { signal }).catch(() => undefined);
      }
    },
  });
  jobs.define({
    name: VERIFICATION_JOBS.sweep,
    cron: '* * * * *',
    retryLimit: 1,
    handler: async () => void (await service.sweepExpired()),
  });
  jobs.define({
    name: VERIFICATION_JOBS.reconcile,
    cron: '* * * * *',
    retryLimit: 1,
    handler: async () => void (await service.reconcilePending()),
  });
  jobs.define({
    name: VERIFICATION_JOBS.upstream,
    cron: '* * * * *',
    retryLimit: 1,
    handler: async () => void (await service.retryUpstreamActions()),
  });
}
