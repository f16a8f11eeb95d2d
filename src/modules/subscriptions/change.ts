import { tierNameOf } from '../tiers/index.js';
import { AppError, notFound, validationFailed } from '../../platform/errors.js';
import { planTierChange } from './domain.js';
import type { SubscriptionMailJob } from './mail.js';
import { endPlan, planStateOf, startPaidPeriod } from './periods.js';
import { chargeNextPeriod } from './renewal.js';
import { type PlanContext, loadTiers, viewOf } from './context.js';
import * as store from './store.js';
import type { SubscriptionView } from './views.js';

/**
 * `POST /subscription {tier}`. The user's row is locked first, so concurrent changes of one user
 * queue: the first buys the plan, the next find it bought and change nothing. Prices come only
 * from the tiers table.
 */
export async function changeTier(
  ctx: PlanContext,
  userId: string,
  tierName: string,
): Promise<SubscriptionView> {
  const tiers = await loadTiers(ctx);
  const target = tiers.named(tierName);
  return ctx.db.transaction(async (tx) => {
    const user = await ctx.accounts.lockUser(tx, userId);
    if (!user) throw notFound('User');
    const currentTier = tiers.named(user.tier);
    const row = await store.findByUser(tx, userId);
    const change = planTierChange({ currentTier, target, plan: row && planStateOf(row) });
    const now = ctx.now();
    switch (change.kind) {
      case 'refused':
        throw validationFailed(change.reason, { field: 'tier' });
      case 'unchanged':
        break;
      case 'resume':
        await store.setIntent(tx, row!.id, { cancelAtPeriodEnd: false, scheduledTier: null, now });
        break;
      case 'cancel_at_period_end':
        await store.setIntent(tx, row!.id, { cancelAtPeriodEnd: true, scheduledTier: null, now });
        break;
      case 'schedule':
        await store.setIntent(tx, row!.id, { cancelAtPeriodEnd: false, scheduledTier: target.name, now });
        break;
      case 'switch_free':
        await ctx.accounts.setUserTier(userId, tierNameOf(target), tx);
        break;
      case 'start':
        await startPaidPeriod(ctx, tx, { userId, tier: target });
        break;
      case 'retry': {
        // Paying a past-due plan now, as the renewal job would; a wallet still too low is a 402.
        const outcome = await chargeNextPeriod(ctx, tx, row!, tiers);
        if (outcome.kind === 'insufficient_funds')
          throw new AppError(402, 'insufficient_funds', 'Your wallet balance is too low to renew your plan.');
        break;
      }
    }
    return viewOf(ctx, tx, (await ctx.accounts.lockUser(tx, userId))!, tiers);
  });
}

/** `DELETE /subscription`: cancel at period end; a past-due plan (an unpaid period) ends at once. */
export async function cancelPlan(ctx: PlanContext, userId: string): Promise<SubscriptionView> {
  const tiers = await loadTiers(ctx);
  let mail: SubscriptionMailJob | undefined;
  const view = await ctx.db.transaction(async (tx) => {
    const user = await ctx.accounts.lockUser(tx, userId);
    if (!user) throw notFound('User');
    const row = await store.findByUser(tx, userId);
    if (!row || row.status === 'ended') throw notFound('Paid plan');
    if (row.status === 'past_due') mail = await endPlan(ctx, tx, row, 'canceled');
    else await store.setIntent(tx, row.id, { cancelAtPeriodEnd: true, scheduledTier: null, now: ctx.now() });
    return viewOf(ctx, tx, (await ctx.accounts.lockUser(tx, userId))!, tiers);
  });
  if (mail) await ctx.mail.enqueue(mail);
  return view;
}
