import { and, desc, eq, inArray, isNotNull, lt, or, sql } from 'drizzle-orm';
import type { Db } from '../../platform/db/database.js';
import type { Charge, TopupStatus } from './domain.js';
import { paymentTopups } from './schema.js';

/** The payments tables and their queries; no other module touches them. */

export type TopupRow = typeof paymentTopups.$inferSelect;

/** A top-up the user may see: they got its checkout link, or it was credited. */
const visibleToUser = or(isNotNull(paymentTopups.initializedAt), eq(paymentTopups.status, 'succeeded'));

export async function insertTopup(
  db: Db,
  values: {
    reference: string;
    userId: string;
    amountUsdCents: number;
    charge: Charge;
    requestKey: string | null;
  },
): Promise<TopupRow | undefined> {
  const [row] = await db
    .insert(paymentTopups)
    .values({
      reference: values.reference,
      userId: values.userId,
      amountUsdCents: values.amountUsdCents,
      chargeCurrency: values.charge.currency,
      chargeAmountMinor: values.charge.amountMinor,
      ngnPerUsd: values.charge.ngnPerUsd,
      requestKey: values.requestKey,
    })
    .onConflictDoNothing({
      target: [paymentTopups.userId, paymentTopups.requestKey],
      where: sql`${paymentTopups.requestKey} is not null`,
    })
    .returning();
  return row;
}

export async function findByRequestKey(
  db: Db,
  userId: string,
  requestKey: string,
): Promise<TopupRow | undefined> {
  const [row] = await db
    .select()
    .from(paymentTopups)
    .where(and(eq(paymentTopups.userId, userId), eq(paymentTopups.requestKey, requestKey)));
  return row;
}

export async function findByReference(db: Db, reference: string): Promise<TopupRow | undefined> {
  const [row] = await db.select().from(paymentTopups).where(eq(paymentTopups.reference, reference));
  return row;
}

/** Locks the row while it is still in one of `statuses`; undefined when it is not (or missing). */
export async function lockInStatus(db: Db, reference: string, statuses: readonly TopupStatus[]) {
  const [row] = await db
    .select()
    .from(paymentTopups)
    .where(and(eq(paymentTopups.reference, reference), inArray(paymentTopups.status, [...statuses])))
    .for('update');
  return row;
}

export async function markInitialized(
  db: Db,
  id: string,
  values: { authorizationUrl: string; accessCode: string },
): Promise<TopupRow | undefined> {
  const [row] = await db
    .update(paymentTopups)
    .set({
      status: 'initialized',
      authorizationUrl: values.authorizationUrl,
      paystackAccessCode: values.accessCode,
      initializedAt: sql`now()`,
      updatedAt: sql`now()`,
    })
    .where(and(eq(paymentTopups.id, id), eq(paymentTopups.status, 'initializing')))
    .returning();
  return row;
}

/**
 * Initialize did not complete. Definitely not at Paystack → `failed`; maybe at Paystack
 * (ambiguous) → stays `initializing` for the reconciler. Either way the client's key is freed so
 * a retry starts a new top-up, and the row stays hidden (it never got a checkout link).
 */
export async function markInitializeFailed(
  db: Db,
  id: string,
  reason: string,
  ambiguous: boolean,
): Promise<void> {
  await db
    .update(paymentTopups)
    .set({
      ...(ambiguous ? {} : { status: 'failed', completedAt: sql`now()` }),
      requestKey: null,
      failureReason: reason,
      updatedAt: sql`now()`,
    })
    .where(and(eq(paymentTopups.id, id), eq(paymentTopups.status, 'initializing')));
}

export async function markSucceeded(
  db: Db,
  id: string,
  values: { ledgerTransactionId: string; paystackTransactionId: number },
): Promise<TopupRow> {
  const [row] = await db
    .update(paymentTopups)
    .set({
      status: 'succeeded',
      ledgerTransactionId: values.ledgerTransactionId,
      paystackTransactionId: values.paystackTransactionId,
      failureReason: null,
      completedAt: sql`now()`,
      lastVerifiedAt: sql`now()`,
      updatedAt: sql`now()`,
    })
    .where(eq(paymentTopups.id, id))
    .returning();
  if (!row) throw new Error(`top-up ${id} vanished while locked`);
  return row;
}

/** Conditional move to a final non-credited state; undefined when the row was no longer in `from`. */
export async function markSettledWithout(
  db: Db,
  reference: string,
  from: readonly TopupStatus[],
  values: {
    status: 'failed' | 'abandoned' | 'flagged';
    reason: string | null;
    paystackTransactionId?: number;
    paidAmountMinor?: number;
    paidCurrency?: string;
  },
): Promise<TopupRow | undefined> {
  const [row] = await db
    .update(paymentTopups)
    .set({
      status: values.status,
      failureReason: values.reason,
      ...(values.paystackTransactionId === undefined
        ? {}
        : { paystackTransactionId: values.paystackTransactionId }),
      ...(values.paidAmountMinor === undefined ? {} : { paidAmountMinor: values.paidAmountMinor }),
      ...(values.paidCurrency === undefined ? {} : { paidCurrency: values.paidCurrency }),
      completedAt: sql`now()`,
      lastVerifiedAt: sql`now()`,
      updatedAt: sql`now()`,
    })
    .where(and(eq(paymentTopups.reference, reference), inArray(paymentTopups.status, [...from])))
    .returning();
  return row;
}

export async function touchVerified(db: Db, reference: string): Promise<void> {
  await db
    .update(paymentTopups)
    .set({ lastVerifiedAt: sql`now()` })
    .where(eq(paymentTopups.reference, reference));
}

export async function findForUser(db: Db, userId: string, reference: string): Promise<TopupRow | undefined> {
  const [row] = await db
    .select()
    .from(paymentTopups)
    .where(and(eq(paymentTopups.reference, reference), eq(paymentTopups.userId, userId), visibleToUser));
  return row;
}

/** Newest first; `cursor` is the `seq` of the last row of the previous page. */
export async function listForUser(
  db: Db,
  userId: string,
  page: { cursor: number | undefined; limit: number },
) {
  return db
    .select()
    .from(paymentTopups)
    .where(
      and(
        eq(paymentTopups.userId, userId),
        visibleToUser,
        page.cursor === undefined ? undefined : lt(paymentTopups.seq, page.cursor),
      ),
    )
    .orderBy(desc(paymentTopups.seq))
    .limit(page.limit);
}

/** Open top-ups created before `olderThan`, oldest verification first. */
export async function staleOpenTopups(db: Db, olderThan: Date, limit: number): Promise<TopupRow[]> {
  return db
    .select()
    .from(paymentTopups)
    .where(
      and(
        inArray(paymentTopups.status, ['initializing', 'initialized']),
        lt(paymentTopups.createdAt, olderThan),
      ),
    )
    .orderBy(sql`${paymentTopups.lastVerifiedAt} asc nulls first`, paymentTopups.createdAt)
    .limit(limit);
}
