import type { Db } from '../../platform/db/database.js';
import type { PlanContext } from './context.js';

/** The plan events developers may subscribe to (SPEC §7). */
export type SubscriptionEvent =
  | {
      type: 'subscription.renewed';
      userId: string;
      data: {
        tier: string;
        periodStart: string;
        periodEnd: string;
        amount: { amount: number; currency: 'USD' };
      };
    }
  | {
      type: 'subscription.past_due';
      userId: string;
      data: {
        tier: string;
        periodEnd: string;
        graceEndsAt: string;
        amount: { amount: number; currency: 'USD' };
      };
    }
  | {
      type: 'subscription.downgraded';
      userId: string;
      data: { fromTier: string; toTier: string; reason: 'canceled' | 'grace_expired' };
    };

/**
 * The one place plan events leave this module: in the transaction (`tx`) of the change they
 * announce, so an event exists exactly when its change committed.
 */
export async function emitSubscriptionEvent(
  ctx: PlanContext,
  tx: Db,
  event: SubscriptionEvent,
): Promise<void> {
  await ctx.emitEvent(tx, event);
}
