import { sql } from 'drizzle-orm';
import { boolean, check, index, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

/**
 * A user's paid plan: one row per user, reused when they subscribe again. The period is what the
 * last charge paid for; the renewal job moves it forward with a conditional update, so a period is
 * renewed once whatever runs it. Free tiers (freemium, payg) have no row in force: `users.tier` says
 * which one applies.
 */
export const subscriptions = pgTable(
  'subscriptions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id').notNull(),
    /** The paid tier in force (its gates apply through `users.tier`). */
    tier: text('tier').notNull(),
    /** active → past_due (grace) → ended; ended also when canceled at period end. */
    status: text('status').notNull(),
    currentPeriodStart: timestamp('current_period_start', { withTimezone: true }).notNull(),
    currentPeriodEnd: timestamp('current_period_end', { withTimezone: true }).notNull(),
    /** The first period's start: later periods end on its day of the month (clamped to short months). */
    anchorAt: timestamp('anchor_at', { withTimezone: true }).notNull(),
    cancelAtPeriodEnd: boolean('cancel_at_period_end').notNull().default(false),
    /** A cheaper paid tier chosen during the period, taking effect at renewal. */
    scheduledTier: text('scheduled_tier'),
    /** Set while past_due: when the grace ends and the plan is downgraded. */
    graceEndsAt: timestamp('grace_ends_at', { withTimezone: true }),
    endedAt: timestamp('ended_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check('subscriptions_status_known', sql`${t.status} in ('active', 'past_due', 'ended')`),
    check('subscriptions_period_ordered', sql`${t.currentPeriodEnd} > ${t.currentPeriodStart}`),
    check(
      'subscriptions_grace_iff_past_due',
      sql`(${t.status} = 'past_due') = (${t.graceEndsAt} is not null)`,
    ),
    uniqueIndex('subscriptions_user_unique').on(t.userId),
    index('subscriptions_due_idx')
      .on(t.currentPeriodEnd)
      .where(sql`${t.status} in ('active', 'past_due')`),
  ],
);
