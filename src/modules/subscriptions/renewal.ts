import { tierNameOf } from '../tiers/index.js';
import type { Db } from '../../platform/db/database.js';
import { AppError } from '../../platform/errors.js';
import { type PlanContext, type TierTable, loadTiers } from './context.js';
import { graceEnd, periodEndAfter, periodReference, renewalStep } from './domain.js';
import { emitSubscriptionEvent } from './events.js';
import type { SubscriptionMailJob } from './mail.js';
import { endPlan, planStateOf, resetIncludedUsage } from './periods.js';
import * as store from './store.js';

export type RenewalOutcome = 'none' | 'renewed' | 'past_due' | 'still_past_due' | 'ended';

/**
 * Charges the period after the current one (the scheduled tier's price if a cheaper plan was
 * chosen) and moves the plan to it. The charge runs in a savepoint: a wallet too low leaves the
 * plan as it was and the caller decides (past_due, or a 402 to the user).
 */
export async function chargeNextPeriod(
  ctx: PlanContext,
  tx: Db,
  row: store.SubscriptionRow,
  tiers: TierTable,
): Promise<{ kind: 'renewed'; row: store.SubscriptionRow } | { kind: 'insufficient_funds'; amount: number }> {
  const tier = tiers.named(row.scheduledTier ?? row.tier);
  const periodStart = row.currentPeriodEnd;
  const periodEnd = periodEndAfter(periodStart, row.anchorAt);
  const reference = periodReference(row.id, periodStart);
  if (tier.monthlyPriceCents > 0) {
    try {
      await tx.transaction((savepoint) =>
        ctx.ledger.chargeSubscription(savepoint, {
          ownerId: row.userId,
          amount: tier.monthlyPriceCents,
          reference,
          memo: `${tier.displayName} plan renewal`,
        }),
      );
    } catch (error) {
      if (error instanceof AppError && error.code === 'insufficient_funds')
        return { kind: 'insufficient_funds', amount: tier.monthlyPriceCents };
      throw error;
    }
  }
  // Conditional on the period the caller saw: if it moved, the charge above rolls back with us.
  const renewed = await store.renewPeriod(tx, row.id, row.currentPeriodEnd, {
    tier: tier.name,
    periodStart,
    periodEnd,
    now: ctx.now(),
  });
  if (!renewed) throw new Error(`subscription ${row.id} moved while locked`);
  await resetIncludedUsage(ctx, tx, { userId: row.userId, tier, reference });
  if (tier.name !== row.tier) await ctx.accounts.setUserTier(row.userId, tierNameOf(tier), tx);
  await emitSubscriptionEvent(ctx, tx, {
    type: 'subscription.renewed',
    userId: row.userId,
    data: {
      tier: tier.name,
      periodStart: periodStart.toISOString(),
      periodEnd: periodEnd.toISOString(),
      amount: { amount: tier.monthlyPriceCents, currency: 'USD' },
    },
  });
  return { kind: 'renewed', row: renewed };
}

/**
 * One plan's renewal step, in its own transaction. The user's row and then the plan's row are
 * locked, and the step is decided on what is read under the locks: a second worker on the same
 * plan waits, then finds the period already moved and does nothing. The ledger's per-period
 * reference makes a second charge impossible even so.
 */
export async function renewOne(
  ctx: PlanContext,
  subscriptionId: string,
  tiers?: TierTable,
): Promise<RenewalOutcome> {
  const table = tiers ?? (await loadTiers(ctx));
  const peek = await store.findById(ctx.db, subscriptionId);
  if (!peek) return 'none';
  let mail: SubscriptionMailJob | undefined;
  const outcome = await ctx.db.transaction(async (tx): Promise<RenewalOutcome> => {
    await ctx.accounts.lockUser(tx, peek.userId);
    const row = await store.lockById(tx, subscriptionId);
    if (!row) return 'none';
    const now = ctx.now();
    const step = renewalStep(planStateOf(row), now);
    if (step.kind === 'none') return 'none';
    if (step.kind === 'end') {
      mail = await endPlan(ctx, tx, row, step.reason);
      return 'ended';
    }
    const charged = await chargeNextPeriod(ctx, tx, row, table);
    if (charged.kind === 'renewed') return 'renewed';
    if (row.status === 'past_due') return 'still_past_due';
    const graceEndsAt = graceEnd(row.currentPeriodEnd);
    await store.markPastDue(tx, row.id, row.currentPeriodEnd, graceEndsAt, now);
    await emitSubscriptionEvent(ctx, tx, {
      type: 'subscription.past_due',
      userId: row.userId,
      data: {
        tier: row.scheduledTier ?? row.tier,
        periodEnd: row.currentPeriodEnd.toISOString(),
        graceEndsAt: graceEndsAt.toISOString(),
        amount: { amount: charged.amount, currency: 'USD' },
      },
    });
    mail = {
      kind: 'past_due',
      userId: row.userId,
      tier: row.scheduledTier ?? row.tier,
      amountCents: charged.amount,
      graceEndsAt: graceEndsAt.toISOString(),
    };
    return 'past_due';
  });
  if (mail) await ctx.mail.enqueue(mail);
  return outcome;
}

/** The renewal job: every plan due now (periods over first, then past-due retries), one at a time. */
export async function renewDue(
  ctx: PlanContext,
  options: { limit?: number },
): Promise<Record<RenewalOutcome | 'failed', number>> {
  const limit = options.limit ?? 500;
  const counts: Record<RenewalOutcome | 'failed', number> = {
    failed: 0,
    none: 0,
    renewed: 0,
    past_due: 0,
    still_past_due: 0,
    ended: 0,
  };
  const tiers = await loadTiers(ctx);
  const now = ctx.now();
  const ids = [
    ...(await store.dueIds(ctx.db, now, limit, 'active')),
    ...(await store.dueIds(ctx.db, now, limit, 'past_due')),
  ];
  for (const id of ids) {
    try {
      counts[await renewOne(ctx, id, tiers)] += 1;
    } catch (error) {
      // One plan's fault (a deadlock victim, a bad tier row) must not hold up the others.
      counts.failed += 1;
      ctx.logger.error({ err: error, subscriptionId: id }, 'subscription renewal failed');
    }
  }
  return counts;
}
