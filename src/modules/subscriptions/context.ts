import type { Db } from '../../platform/db/database.js';
import { AppError } from '../../platform/errors.js';
import { INCLUDED_USAGE_CURRENCY } from '../ledger/index.js';
import type { Tier } from '../tiers/index.js';
import type { createSubscriptionMail } from './mail.js';
import type { SubscriptionsDeps } from './service.js';
import * as store from './store.js';
import { type SubscriptionView, toSubscriptionView } from './views.js';

/** What the use cases share: the deps, the clock and the mail. */
export type PlanContext = SubscriptionsDeps & {
  now: () => Date;
  mail: ReturnType<typeof createSubscriptionMail>;
};

/**
 * The caller's plan as the API shows it. Inside a transaction `db` is its handle and `user` the
 * row read through it; nothing here uses another connection (PGlite has only one).
 */
export async function viewOf(
  ctx: PlanContext,
  db: Db,
  user: { id: string; tier: string },
  tiers: TierTable,
): Promise<SubscriptionView> {
  const plan = await store.findByUser(db, user.id);
  const included = await ctx.ledger.walletSummary(db, user.id, INCLUDED_USAGE_CURRENCY);
  return toSubscriptionView({ userTier: tiers.named(user.tier), plan, includedRemaining: included.balance });
}

/** The tier rows, read before a transaction opens and looked up by name inside it. */
export interface TierTable {
  named(name: string): Tier;
}

export async function loadTiers(ctx: PlanContext): Promise<TierTable> {
  const rows = await ctx.tiers.list();
  return {
    named(name) {
      const tier = rows.find((row) => row.name === name);
      if (!tier) throw new AppError(500, 'internal_error', `Tier ${name} is not configured.`);
      return tier;
    },
  };
}
