import { and, asc, eq, inArray, lte } from 'drizzle-orm';
import type { Db } from '../../platform/db/database.js';
import { subscriptions } from './schema.js';

/** The subscriptions table's queries; no other module touches it. */

export type SubscriptionRow = typeof subscriptions.$inferSelect;

export async function findByUser(db: Db, userId: string): Promise<SubscriptionRow | undefined> {
  const [row] = await db.select().from(subscriptions).where(eq(subscriptions.userId, userId));
  return row;
}

export async function findById(db: Db, id: string): Promise<SubscriptionRow | undefined> {
  const [row] = await db.select().from(subscriptions).where(eq(subscriptions.id, id));
  return row;
}

/** The plan's row, locked until the caller's transaction ends: its changes and renewals queue here. */
export async function lockById(db: Db, id: string): Promise<SubscriptionRow | undefined> {
  const [row] = await db.select().from(subscriptions).where(eq(subscriptions.id, id)).for('update');
  return row;
}

/** A new period for the user's plan (a first subscription, or a new one over an ended row). */
export async function startPeriod(
  db: Db,
  values: { userId: string; tier: string; periodStart: Date; periodEnd: Date },
): Promise<SubscriptionRow> {
  const fresh = {
    tier: values.tier,
    status: 'active',
    currentPeriodStart: values.periodStart,
    currentPeriodEnd: values.periodEnd,
    anchorAt: values.periodStart,
    cancelAtPeriodEnd: false,
    scheduledTier: null,
    graceEndsAt: null,
    endedAt: null,
    updatedAt: values.periodStart,
  };
  const [row] = await db
    .insert(subscriptions)
    .values({ userId: values.userId, ...fresh })
    .onConflictDoUpdate({ target: subscriptions.userId, set: fresh })
    .returning();
  if (!row) throw new Error('subscription upsert returned nothing');
  return row;
}

/**
 * Moves the plan to its next period, only if it still ends where the caller saw it end: a racing
 * renewal of the same period finds nothing to update.
 */
export async function renewPeriod(
  db: Db,
  id: string,
  seenPeriodEnd: Date,
  next: { tier: string; periodStart: Date; periodEnd: Date; now: Date },
): Promise<SubscriptionRow | undefined> {
  const [row] = await db
    .update(subscriptions)
    .set({
      tier: next.tier,
      status: 'active',
      currentPeriodStart: next.periodStart,
      currentPeriodEnd: next.periodEnd,
      scheduledTier: null,
      graceEndsAt: null,
      updatedAt: next.now,
    })
    .where(
      and(
        eq(subscriptions.id, id),
        eq(subscriptions.currentPeriodEnd, seenPeriodEnd),
        inArray(subscriptions.status, ['active', 'past_due']),
      ),
    )
    .returning();
  return row;
}

/** active → past_due, once per period. */
export async function markPastDue(
  db: Db,
  id: string,
  seenPeriodEnd: Date,
  graceEndsAt: Date,
  now: Date,
): Promise<SubscriptionRow | undefined> {
  const [row] = await db
    .update(subscriptions)
    .set({ status: 'past_due', graceEndsAt, updatedAt: now })
    .where(
      and(
        eq(subscriptions.id, id),
        eq(subscriptions.currentPeriodEnd, seenPeriodEnd),
        eq(subscriptions.status, 'active'),
      ),
    )
    .returning();
  return row;
}

export async function end(db: Db, id: string, now: Date): Promise<SubscriptionRow | undefined> {
  const [row] = await db
    .update(subscriptions)
    .set({ status: 'ended', graceEndsAt: null, scheduledTier: null, endedAt: now, updatedAt: now })
    .where(and(eq(subscriptions.id, id), inArray(subscriptions.status, ['active', 'past_due'])))
    .returning();
  return row;
}

export async function setIntent(
  db: Db,
  id: string,
  intent: { cancelAtPeriodEnd: boolean; scheduledTier: string | null; now: Date },
): Promise<SubscriptionRow | undefined> {
  const [row] = await db
    .update(subscriptions)
    .set({
      cancelAtPeriodEnd: intent.cancelAtPeriodEnd,
      scheduledTier: intent.scheduledTier,
      updatedAt: intent.now,
    })
    .where(eq(subscriptions.id, id))
    .returning();
  return row;
}

/** Plans the renewal job has work for at `now`: periods over (active), or past due (retry or end). */
export async function dueIds(
  db: Db,
  now: Date,
  limit: number,
  status: 'active' | 'past_due',
): Promise<string[]> {
  const rows = await db
    .select({ id: subscriptions.id })
    .from(subscriptions)
    .where(
      status === 'active'
        ? and(eq(subscriptions.status, 'active'), lte(subscriptions.currentPeriodEnd, now))
        : eq(subscriptions.status, 'past_due'),
    )
    .orderBy(asc(subscriptions.currentPeriodEnd))
    .limit(limit);
  return rows.map((r) => r.id);
}
