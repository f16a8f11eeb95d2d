/**
 * Pure rules of plans (no I/O): period arithmetic, what a tier change means, and the renewal state
 * machine active → past_due (3 days of grace) → ended (downgraded to payg).
 */

export const GRACE_DAYS = 3;
const DAY_MS = 24 * 60 * 60 * 1000;
/** Where a plan that ends goes: payg needs no subscription and costs nothing a month. */
export const FALLBACK_TIER = 'payg';

export type SubscriptionStatus = 'active' | 'past_due' | 'ended';

/** What a plan's rules need to know about a tier (a row of the tiers table). */
export interface TierPrice {
  name: string;
  monthlyPriceCents: number;
  includedUsageCents: number;
}

export const isPaid = (tier: TierPrice) => tier.monthlyPriceCents > 0;

/**
 * The end of the period that starts at `start`: one calendar month later, on the anchor's day of
 * the month (clamped to the month's last day: a plan begun on Jan 31 renews Feb 28/29, then Mar 31),
 * at the anchor's time of day. UTC throughout.
 */
export function periodEndAfter(start: Date, anchor: Date): Date {
  const year = start.getUTCFullYear();
  const month = start.getUTCMonth() + 1;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const day = Math.min(anchor.getUTCDate(), lastDay);
  return new Date(
    Date.UTC(
      year,
      month,
      day,
      anchor.getUTCHours(),
      anchor.getUTCMinutes(),
      anchor.getUTCSeconds(),
      anchor.getUTCMilliseconds(),
    ),
  );
}

export const graceEnd = (periodEnd: Date) => new Date(periodEnd.getTime() + GRACE_DAYS * DAY_MS);

/** The ledger reference of one period's charge: a period is charged once, whoever charges it. */
export const periodReference = (subscriptionId: string, periodStart: Date) =>
  `subscription:${subscriptionId}:${periodStart.toISOString()}`;

/** The subscription as the rules see it. */
export interface PlanState {
  tier: string;
  status: SubscriptionStatus;
  currentPeriodEnd: Date;
  cancelAtPeriodEnd: boolean;
  scheduledTier: string | null;
  graceEndsAt: Date | null;
}

/**
 * What `POST /subscription {tier}` does, given the caller's current tier and plan:
 * - the same tier: nothing, except that it undoes a pending cancel or scheduled change, and pays a
 *   past-due period at once (`retry`);
 * - a free tier (payg) from a paid plan: the plan ends at period end (as `DELETE`); from freemium:
 *   the move is immediate and free (`switch_free`); back to freemium: refused;
 * - a paid tier from a free tier, an ended plan, or a cheaper paid plan: the full price is charged
 *   now and a new period starts now (`start`; what is left of the old period is not refunded);
 * - a paid tier no dearer than the current paid plan: it takes effect at renewal (`schedule`).
 */
export type TierChange =
  | { kind: 'unchanged' }
  | { kind: 'resume' }
  | { kind: 'retry' }
  | { kind: 'switch_free' }
  | { kind: 'cancel_at_period_end' }
  | { kind: 'start' }
  | { kind: 'schedule' }
  | { kind: 'refused'; reason: string };

export function planTierChange(input: {
  currentTier: TierPrice;
  target: TierPrice;
  plan: PlanState | undefined;
}): TierChange {
  const { currentTier, target } = input;
  const plan = input.plan && input.plan.status !== 'ended' ? input.plan : undefined;
  if (target.name === 'freemium') return { kind: 'refused', reason: 'A plan cannot go back to freemium.' };
  if (!plan) {
    if (target.name === currentTier.name) return { kind: 'unchanged' };
    return isPaid(target) ? { kind: 'start' } : { kind: 'switch_free' };
  }
  if (target.name === plan.tier) {
    if (plan.status === 'past_due') return { kind: 'retry' };
    return plan.cancelAtPeriodEnd || plan.scheduledTier !== null ? { kind: 'resume' } : { kind: 'unchanged' };
  }
  if (!isPaid(target)) return { kind: 'cancel_at_period_end' };
  // A dearer plan is bought now; a past-due plan is replaced (its unpaid period is never charged).
  if (plan.status === 'past_due' || target.monthlyPriceCents > currentTier.monthlyPriceCents)
    return { kind: 'start' };
  return { kind: 'schedule' };
}

/**
 * What the renewal job does with a plan at `now`:
 * - `none`: the period runs on;
 * - `end`: canceled at period end, or the grace is over → downgraded to payg, no charge;
 * - `charge`: the period is over (or past due, still in grace): charge the next period.
 */
export type RenewalStep =
  { kind: 'none' } | { kind: 'end'; reason: 'canceled' | 'grace_expired' } | { kind: 'charge' };

export function renewalStep(plan: PlanState, now: Date): RenewalStep {
  if (plan.status === 'ended') return { kind: 'none' };
  if (plan.status === 'past_due') {
    if (plan.cancelAtPeriodEnd) return { kind: 'end', reason: 'canceled' };
    return plan.graceEndsAt !== null && now >= plan.graceEndsAt
      ? { kind: 'end', reason: 'grace_expired' }
      : { kind: 'charge' };
  }
  if (now < plan.currentPeriodEnd) return { kind: 'none' };
  return plan.cancelAtPeriodEnd ? { kind: 'end', reason: 'canceled' } : { kind: 'charge' };
}
