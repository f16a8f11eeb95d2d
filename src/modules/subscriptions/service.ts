import type { Db } from '../../platform/db/database.js';
import { notFound } from '../../platform/errors.js';
import type { Jobs } from '../../platform/jobs.js';
import type { Logger } from '../../platform/logger.js';
import type { Mailer } from '../../platform/mail/mailer.js';
import type { AccountsService } from '../accounts/index.js';
import type { LedgerService } from '../ledger/index.js';
import type { TiersService } from '../tiers/index.js';
import { changeTier, cancelPlan } from './change.js';
import type { SubscriptionEvent } from './events.js';
import { type SubscriptionMailJob, createSubscriptionMail } from './mail.js';
import { renewDue, renewOne } from './renewal.js';
import { type PlanContext, loadTiers, viewOf } from './context.js';
import { type SubscriptionView, type TierView, toTierView } from './views.js';

export interface SubscriptionsDeps {
  db: Db;
  ledger: LedgerService;
  tiers: TiersService;
  accounts: Pick<AccountsService, 'lockUser' | 'setUserTier' | 'findUserById'>;
  mailer: Mailer | undefined;
  jobs: Jobs | undefined;
  publicUrl: string;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /**
   * The developer webhooks' outbox (`subscription.renewed|past_due|downgraded`), written in the
   * plan change's own transaction. Required, so no composition can drop plan events silently.
   */
  emitEvent: (tx: Db, event: SubscriptionEvent) => Promise<void>;
  /** The clock plans run on (tests move it to reach a renewal or the end of a grace). */
  now?: () => Date;
}

/** Plans: the tiers on offer, the caller's subscription, changing it, and renewing it each month. */
export function createSubscriptionsService(deps: SubscriptionsDeps) {
  const ctx: PlanContext = {
    ...deps,
    now: deps.now ?? (() => new Date()),
    mail: createSubscriptionMail({
      publicUrl: deps.publicUrl,
      jobs: deps.jobs,
      mailer: deps.mailer,
      logger: deps.logger,
      emailOf: async (userId) => (await deps.accounts.findUserById(userId))?.email,
    }),
  };

  return {
    /** The tier rows (the one source of truth) as the public view. */
    async listTiers(): Promise<TierView[]> {
      return (await deps.tiers.list()).map(toTierView);
    },

    async subscriptionOf(userId: string): Promise<SubscriptionView> {
      const user = await deps.accounts.findUserById(userId);
      if (!user) throw notFound('User');
      return viewOf(ctx, deps.db, user, await loadTiers(ctx));
    },

    /** `POST /subscription {tier}`: the rules are `planTierChange` (domain.ts). */
    changeTier: (userId: string, tier: string) => changeTier(ctx, userId, tier),

    /** `DELETE /subscription`: the plan ends at the end of its period (at once when past due). */
    cancel: (userId: string) => cancelPlan(ctx, userId),

    /** The renewal job's work: every plan due now, each in its own transaction. */
    renewDue: (options: { limit?: number } = {}) => renewDue(ctx, options),
    renewOne: (subscriptionId: string) => renewOne(ctx, subscriptionId),

    /** The mail job's work. */
    deliverMail: (job: SubscriptionMailJob) => ctx.mail.deliver(job),
  };
}
export type SubscriptionsService = ReturnType<typeof createSubscriptionsService>;
