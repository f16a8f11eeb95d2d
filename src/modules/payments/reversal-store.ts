import { and, asc, eq, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import type { Db } from '../../platform/db/database.js';
import { rawRows } from '../../platform/db/raw.js';
import {
  OPEN_REFUND_STATUSES,
  type ChargeCurrency,
  type DisputeStatus,
  type RefundStatus,
} from './domain.js';
import { paymentDisputes, paymentFollowups, paymentRefunds, paymentTopups } from './schema.js';

/**
 * The queries of refunds, disputes and their follow-ups (tables in schema.ts). Every change to a
 * top-up's refunds or disputes runs with the top-up row locked first (`lockTopup`), then the
 * refund or dispute row, then (in the ledger) the wallet: one order, so they never deadlock.
 */

export type RefundRow = typeof paymentRefunds.$inferSelect;
export type DisputeRow = typeof paymentDisputes.$inferSelect;
export type FollowupKind = 'refund' | 'dispute';

export async function lockTopup(db: Db, topupId: string) {
  const [row] = await db.select().from(paymentTopups).where(eq(paymentTopups.id, topupId)).for('update');
  if (!row) throw new Error(`top-up ${topupId} vanished`);
  return row;
}

/** Moves what was taken back from a top-up by `delta` cents (negative gives back); the CHECK bounds it. */
export async function addReversed(db: Db, topupId: string, delta: number): Promise<void> {
  await db
    .update(paymentTopups)
    .set({ reversedUsdCents: sql`${paymentTopups.reversedUsdCents} + ${delta}`, updatedAt: sql`now()` })
    .where(eq(paymentTopups.id, topupId));
}

// ---- refunds

/** Cents asked for by the top-up's refunds that may still pay money back. */
export async function inFlightRefundCents(db: Db, topupId: string): Promise<number> {
  const [row] = await db
    .select({ total: sql<string>`coalesce(sum(${paymentRefunds.amountUsdCents}), 0)::text` })
    .from(paymentRefunds)
    .where(
      and(eq(paymentRefunds.topupId, topupId), inArray(paymentRefunds.status, [...OPEN_REFUND_STATUSES])),
    );
  return Number(row?.total ?? 0);
}

export async function insertRefund(
  db: Db,
  values: {
    topupId: string;
    userId: string;
    status: RefundStatus;
    amountMinor: number;
    currency: ChargeCurrency;
    amountUsdCents: number;
    paystackRefundId?: number;
    requestedBy?: string;
    reason?: string;
    requestKey?: string;
  },
): Promise<RefundRow | undefined> {
  const [row] = await db.insert(paymentRefunds).values(values).onConflictDoNothing().returning();
  return row;
}

export async function findRefund(db: Db, id: string): Promise<RefundRow | undefined> {
  const [row] = await db.select().from(paymentRefunds).where(eq(paymentRefunds.id, id));
  return row;
}

export async function findRefundByRequestKey(db: Db, requestKey: string): Promise<RefundRow | undefined> {
  const [row] = await db.select().from(paymentRefunds).where(eq(paymentRefunds.requestKey, requestKey));
  return row;
}

export async function lockRefundByPaystackId(db: Db, paystackRefundId: number) {
  const [row] = await db
    .select()
    .from(paymentRefunds)
    .where(eq(paymentRefunds.paystackRefundId, paystackRefundId))
    .for('update');
  return row;
}

/**
 * Gives Paystack's id to our oldest refund of the top-up that has none yet and asks for exactly
 * that amount (its webhook can arrive before the request learns the id); undefined when none.
 */
export async function claimUnnamedRefund(
  db: Db,
  topupId: string,
  amountMinor: number,
  paystackRefundId: number,
): Promise<RefundRow | undefined> {
  const [candidate] = await db
    .select({ id: paymentRefunds.id })
    .from(paymentRefunds)
    .where(
      and(
        eq(paymentRefunds.topupId, topupId),
        isNull(paymentRefunds.paystackRefundId),
        inArray(paymentRefunds.status, ['requested', 'unknown']),
        eq(paymentRefunds.amountMinor, amountMinor),
      ),
    )
    .orderBy(asc(paymentRefunds.seq))
    .limit(1)
    .for('update');
  if (!candidate) return undefined;
  const [row] = await db
    .update(paymentRefunds)
    .set({ paystackRefundId, status: 'pending', updatedAt: sql`now()` })
    .where(eq(paymentRefunds.id, candidate.id))
    .returning();
  return row;
}

/** Names our refund with Paystack's id when it has none; false when it already had one. */
export async function nameRefund(db: Db, id: string, paystackRefundId: number): Promise<boolean> {
  const [row] = await db
    .update(paymentRefunds)
    .set({ paystackRefundId, updatedAt: sql`now()` })
    .where(and(eq(paymentRefunds.id, id), isNull(paymentRefunds.paystackRefundId)))
    .returning({ id: paymentRefunds.id });
  return row !== undefined;
}

/** Moves a refund that is not final (or not `from` when given) to `status`. */
export async function setRefundStatus(
  db: Db,
  id: string,
  status: RefundStatus,
  from: readonly RefundStatus[] = OPEN_REFUND_STATUSES,
): Promise<RefundRow | undefined> {
  const [row] = await db
    .update(paymentRefunds)
    .set({ status, updatedAt: sql`now()` })
    .where(and(eq(paymentRefunds.id, id), inArray(paymentRefunds.status, [...from])))
    .returning();
  return row;
}

export async function markRefundProcessed(
  db: Db,
  id: string,
  values: { fromWalletCents: number; receivableCents: number; ledgerTransactionId: string | null },
): Promise<RefundRow> {
  const [row] = await db
    .update(paymentRefunds)
    .set({ ...values, status: 'processed', processedAt: sql`now()`, updatedAt: sql`now()` })
    .where(eq(paymentRefunds.id, id))
    .returning();
  if (!row) throw new Error(`refund ${id} vanished while locked`);
  return row;
}

export function refundsOfTopup(db: Db, topupId: string): Promise<RefundRow[]> {
  return db
    .select()
    .from(paymentRefunds)
    .where(eq(paymentRefunds.topupId, topupId))
    .orderBy(asc(paymentRefunds.seq));
}

// ---- disputes

export async function lockDispute(db: Db, paystackDisputeId: number): Promise<DisputeRow | undefined> {
  const [row] = await db
    .select()
    .from(paymentDisputes)
    .where(eq(paymentDisputes.paystackDisputeId, paystackDisputeId))
    .for('update');
  return row;
}

/** The dispute as opened: the row and what was taken back are written in one transaction. */
export async function insertOpenedDispute(
  db: Db,
  values: {
    topupId: string;
    userId: string;
    paystackDisputeId: number;
    amountMinor: number;
    currency: ChargeCurrency;
    amountUsdCents: number;
    takenCents: number;
    fromWalletCents: number;
    receivableCents: number;
    openTransactionId: string | null;
  },
): Promise<DisputeRow> {
  const [row] = await db.insert(paymentDisputes).values(values).returning();
  if (!row) throw new Error('dispute insert returned nothing');
  return row;
}

export async function markDisputeResolved(
  db: Db,
  id: string,
  values: {
    status: Exclude<DisputeStatus, 'open'>;
    resolution: string;
    returnedCents: number;
    receivableClearedCents: number;
    resolveTransactionId: string | null;
  },
): Promise<DisputeRow> {
  const [row] = await db
    .update(paymentDisputes)
    .set({ ...values, resolvedAt: sql`now()`, updatedAt: sql`now()` })
    .where(and(eq(paymentDisputes.id, id), eq(paymentDisputes.status, 'open')))
    .returning();
  if (!row) throw new Error(`dispute ${id} was not open although locked open`);
  return row;
}

/** Whether the top-up has a dispute that is open or lost (its money is, or stays, taken back). */
export async function hasUnwonDispute(db: Db, topupId: string): Promise<boolean> {
  const [row] = await db
    .select({ id: paymentDisputes.id })
    .from(paymentDisputes)
    .where(and(eq(paymentDisputes.topupId, topupId), inArray(paymentDisputes.status, ['open', 'lost'])))
    .limit(1);
  return row !== undefined;
}

export function disputesOfTopup(db: Db, topupId: string): Promise<DisputeRow[]> {
  return db
    .select()
    .from(paymentDisputes)
    .where(eq(paymentDisputes.topupId, topupId))
    .orderBy(asc(paymentDisputes.seq));
}

/** What the user owes the platform: receivables recorded by refunds and disputes, less what won disputes cleared. */
export async function receivableOwed(db: Db, userId: string): Promise<number> {
  const [row] = await rawRows<{ owed: string }>(
    db,
    sql`select (coalesce((select sum(receivable_cents) from payment_refunds
                           where user_id = ${userId} and status = 'processed'), 0)
              + coalesce((select sum(receivable_cents - receivable_cleared_cents) from payment_disputes
                           where user_id = ${userId}), 0))::text as owed`,
  );
  return Number(row?.owed ?? 0);
}

// ---- follow-ups

/** Records (or reopens) a refund or dispute to follow until final. */
export async function followUp(db: Db, kind: FollowupKind, paystackId: number, reference: string) {
  await db
    .insert(paymentFollowups)
    .values({ kind, paystackId, reference })
    .onConflictDoUpdate({
      target: [paymentFollowups.kind, paymentFollowups.paystackId],
      set: { doneAt: null },
    });
}

export async function markFollowupChecked(db: Db, kind: FollowupKind, paystackId: number, done: boolean) {
  await db
    .update(paymentFollowups)
    .set({ checkedAt: sql`now()`, ...(done ? { doneAt: sql`now()` } : {}) })
    .where(and(eq(paymentFollowups.kind, kind), eq(paymentFollowups.paystackId, paystackId)));
}

/** Follow-ups not done, not checked since `olderThan`, least recently checked first. */
export function dueFollowups(db: Db, olderThan: Date, limit: number) {
  return db
    .select()
    .from(paymentFollowups)
    .where(
      and(
        isNull(paymentFollowups.doneAt),
        lt(paymentFollowups.createdAt, olderThan),
        or(isNull(paymentFollowups.checkedAt), lt(paymentFollowups.checkedAt, olderThan)),
      ),
    )
    .orderBy(sql`${paymentFollowups.checkedAt} asc nulls first`, paymentFollowups.createdAt)
    .limit(limit);
}
