import { tierNameOf } from '../tiers/index.js';
import type { Db } from '../../platform/db/database.js';
import type { Tier } from '../tiers/index.js';
import { FALLBACK_TIER, type PlanState, periodEndAfter, periodReference } from './domain.js';
import { emitSubscriptionEvent } from './events.js';
import type { SubscriptionMailJob } from './mail.js';
import type { PlanContext } from './context.js';
import * as store from './store.js';

/*
 * The plan moves both a tier change and the renewal job make, each inside the caller's
 * transaction with the user's row locked (lock order: user → subscription → wallets).
 */

/** The plan as the rules (domain.ts) see it. */
export const planStateOf = (row: store.SubscriptionRow): PlanState => ({
  tier: row.tier,
  status: row.status as PlanState['status'],
  currentPeriodEnd: row.currentPeriodEnd,
  cancelAtPeriodEnd: row.cancelAtPeriodEnd,
  scheduledTier: row.scheduledTier,
  graceEndsAt: row.graceEndsAt,
});

/** The included usage of a new period replaces what was left of the last one. */
export async function resetIncludedUsage(
  ctx: PlanContext,
  tx: Db,
  input: { userId: string; tier: Tier; reference: string },
): Promise<void> {
  await ctx.ledger.expireIncludedUsage(tx, {
    ownerId: input.userId,
    reference: input.reference,
    memo: 'Included usage of the last period expired',
  });
  if (input.tier.includedUsageCents > 0) {
    await ctx.ledger.grantIncludedUsage(tx, {
      ownerId: input.userId,
      amount: input.tier.includedUsageCents,
      reference: input.reference,
      memo: `${input.tier.displayName} included usage`,
    });
  }
}

/**
 * A paid plan starting now: the full price of `tier` (the server's figure, from its row) is charged
 * for a period beginning now, the included usage is granted, and the tier's gates apply at once.
 * Throws 402 when the wallet is too low (the caller's transaction then rolls back whole).
 */
export async function startPaidPeriod(
  ctx: PlanContext,
  tx: Db,
  input: { userId: string; tier: Tier },
): Promise<store.SubscriptionRow> {
  const periodStart = ctx.now();
  const row = await store.startPeriod(tx, {
    userId: input.userId,
    tier: input.tier.name,
    periodStart,
    periodEnd: periodEndAfter(periodStart, periodStart),
  });
  const reference = periodReference(row.id, periodStart);
  await ctx.ledger.chargeSubscription(tx, {
    ownerId: input.userId,
    amount: input.tier.monthlyPriceCents,
    reference,
    memo: `${input.tier.displayName} plan, first month`,
  });
  await resetIncludedUsage(ctx, tx, { userId: input.userId, tier: input.tier, reference });
  await ctx.accounts.setUserTier(input.userId, tierNameOf(input.tier), tx);
  return row;
}

/** The plan ends without a charge: the user moves to payg and the included usage expires. */
export async function endPlan(
  ctx: PlanContext,
  tx: Db,
  row: store.SubscriptionRow,
  reason: 'canceled' | 'grace_expired',
): Promise<SubscriptionMailJob | undefined> {
  const ended = await store.end(tx, row.id, ctx.now());
  if (!ended) return undefined;
  await ctx.ledger.expireIncludedUsage(tx, {
    ownerId: row.userId,
    reference: `${periodReference(row.id, row.currentPeriodStart)}:end`,
    memo: 'Included usage expired with the plan',
  });
  await ctx.accounts.setUserTier(row.userId, FALLBACK_TIER, tx);
  await emitSubscriptionEvent(ctx, tx, {
    type: 'subscription.downgraded',
    userId: row.userId,
    data: { fromTier: row.tier, toTier: FALLBACK_TIER, reason },
  });
  return { kind: 'downgraded', userId: row.userId, fromTier: row.tier, toTier: FALLBACK_TIER, reason };
}
