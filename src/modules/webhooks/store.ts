/** The webhooks module's queries: the only code that touches its tables. */
import { type SQL, and, desc, eq, inArray, lt, sql } from 'drizzle-orm';
import type { Db } from '../../platform/db/database.js';
import { rawRows } from '../../platform/db/raw.js';
import { webhookAttempts, webhookDeliveries, webhookEndpoints, webhookEvents } from './schema.js';

export type EndpointRow = typeof webhookEndpoints.$inferSelect;
export type EventRow = typeof webhookEvents.$inferSelect;
export type DeliveryRow = typeof webhookDeliveries.$inferSelect;
export type AttemptRow = typeof webhookAttempts.$inferSelect;

export async function insertEndpoint(
  db: Db,
  values: { userId: string; url: string; description: string; events: string[]; secretSealed: string },
): Promise<EndpointRow> {
  const [row] = await db.insert(webhookEndpoints).values(values).returning();
  return row!;
}

export const endpointsOf = (db: Db, userId: string): Promise<EndpointRow[]> =>
  db
    .select()
    .from(webhookEndpoints)
    .where(eq(webhookEndpoints.userId, userId))
    .orderBy(desc(webhookEndpoints.createdAt));

/** The endpoint when `userId` owns it (another user's is as good as missing). */
export async function endpointOf(db: Db, userId: string, id: string): Promise<EndpointRow | undefined> {
  const [row] = await db
    .select()
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.id, id), eq(webhookEndpoints.userId, userId)));
  return row;
}

export async function updateEndpoint(
  db: Db,
  userId: string,
  id: string,
  patch: Partial<
    Pick<
      EndpointRow,
      | 'url'
      | 'description'
      | 'events'
      | 'enabled'
      | 'secretSealed'
      | 'previousSecretSealed'
      | 'previousSecretExpiresAt'
      | 'consecutiveFailures'
      | 'failingSince'
      | 'disabledReason'
      | 'disabledAt'
    >
  >,
): Promise<EndpointRow | undefined> {
  const [row] = await db
    .update(webhookEndpoints)
    .set({ ...patch, updatedAt: new Date() })
    .where(and(eq(webhookEndpoints.id, id), eq(webhookEndpoints.userId, userId)))
    .returning();
  return row;
}

export async function deleteEndpoint(db: Db, userId: string, id: string): Promise<boolean> {
  const rows = await db
    .delete(webhookEndpoints)
    .where(and(eq(webhookEndpoints.id, id), eq(webhookEndpoints.userId, userId)))
    .returning({ id: webhookEndpoints.id });
  return rows.length === 1;
}

export async function insertEvent(
  db: Db,
  values: { id: string; userId: string; type: string; data: unknown },
): Promise<EventRow> {
  const [row] = await db.insert(webhookEvents).values(values).returning();
  return row!;
}

/** The user's enabled endpoints and their filters. */
export const enabledEndpointsOf = (
  db: Db,
  userId: string,
): Promise<Array<{ id: string; events: string[] }>> =>
  db
    .select({ id: webhookEndpoints.id, events: webhookEndpoints.events })
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.userId, userId), eq(webhookEndpoints.enabled, true)));

export async function insertDeliveries(
  db: Db,
  eventId: string,
  endpointIds: readonly string[],
  giveUpAt: Date,
): Promise<DeliveryRow[]> {
  if (endpointIds.length === 0) return [];
  return db
    .insert(webhookDeliveries)
    .values(endpointIds.map((endpointId) => ({ eventId, endpointId, giveUpAt })))
    .returning();
}

/** A claimed delivery: everything needed to send it, and the lease token that proves the claim. */
export interface ClaimedDelivery {
  id: string;
  leaseToken: string;
  attempts: number;
  giveUpAt: Date;
  endpointId: string;
  userId: string;
  url: string;
  secretSealed: string;
  previousSecretSealed: string | null;
  previousSecretExpiresAt: Date | null;
  eventId: string;
  eventType: string;
  eventData: unknown;
  eventCreatedAt: Date;
}

/**
 * Claims deliveries that are due (or whose lease ran out: a worker died holding them) with
 * `FOR UPDATE SKIP LOCKED`, so concurrent workers never take the same row, and a lease of
 * `leaseSeconds`. `only` claims one given delivery (a test event or a redelivery, sent at once,
 * even to a disabled endpoint: the user asked for it).
 */
export async function claimDeliveries(
  db: Db,
  options: { limit: number; leaseSeconds: number; only?: string },
): Promise<ClaimedDelivery[]> {
  const due: SQL = options.only
    ? sql`d2.id = ${options.only} and d2.status = 'pending'`
    : sql`e.enabled and ((d2.status = 'pending' and d2.next_attempt_at <= now())
        or (d2.status = 'delivering' and d2.lease_expires_at <= now()))`;
  const rows = await rawRows<Record<string, unknown>>(
    db,
    sql`with claimed as (
          update webhook_deliveries d
             set status = 'delivering', attempts = d.attempts + 1, lease_token = gen_random_uuid(),
                 lease_expires_at = now() + make_interval(secs => ${options.leaseSeconds})
           where d.id in (
             select d2.id from webhook_deliveries d2
               join webhook_endpoints e on e.id = d2.endpoint_id
              where ${due}
              order by d2.next_attempt_at
              limit ${options.limit}
              for update of d2 skip locked)
          returning d.*)
        select c.id::text as id, c.lease_token::text as lease_token, c.attempts::int as attempts,
               c.give_up_at::text as give_up_at, e.id::text as endpoint_id, e.user_id::text as user_id,
               e.url, e.secret_sealed, e.previous_secret_sealed,
               e.previous_secret_expires_at::text as previous_secret_expires_at,
               v.id as event_id, v.type as event_type, v.data as event_data,
               v.created_at::text as event_created_at
          from claimed c
          join webhook_endpoints e on e.id = c.endpoint_id
          join webhook_events v on v.id = c.event_id`,
  );
  const date = (v: unknown) => new Date(String(v));
  return rows.map((r) => ({
    id: String(r.id),
    leaseToken: String(r.lease_token),
    attempts: Number(r.attempts),
    giveUpAt: date(r.give_up_at),
    endpointId: String(r.endpoint_id),
    userId: String(r.user_id),
    url: String(r.url),
    secretSealed: String(r.secret_sealed),
    previousSecretSealed: r.previous_secret_sealed == null ? null : String(r.previous_secret_sealed),
    previousSecretExpiresAt: r.previous_secret_expires_at == null ? null : date(r.previous_secret_expires_at),
    eventId: String(r.event_id),
    eventType: String(r.event_type),
    eventData: typeof r.event_data === 'string' ? JSON.parse(r.event_data) : r.event_data,
    eventCreatedAt: date(r.event_created_at),
  }));
}

export async function insertAttempt(
  db: Db,
  values: {
    deliveryId: string;
    statusCode: number | null;
    durationMs: number;
    error: string | null;
    responseExcerpt: string | null;
    nextRetryAt: Date | null;
  },
): Promise<void> {
  await db.insert(webhookAttempts).values(values);
}

/** Ends a claim; false when the lease was lost (it ran out and another worker took the row). */
export async function settleDelivery(
  db: Db,
  id: string,
  leaseToken: string,
  outcome: {
    status: 'pending' | 'succeeded' | 'failed';
    nextAttemptAt: Date | null;
    lastStatusCode: number | null;
    lastError: string | null;
  },
): Promise<boolean> {
  const rows = await db
    .update(webhookDeliveries)
    .set({
      status: outcome.status,
      ...(outcome.nextAttemptAt ? { nextAttemptAt: outcome.nextAttemptAt } : {}),
      lastStatusCode: outcome.lastStatusCode,
      lastError: outcome.lastError,
      leaseToken: null,
      leaseExpiresAt: null,
      ...(outcome.status === 'succeeded' ? { deliveredAt: sql`now()` } : {}),
    })
    .where(
      and(
        eq(webhookDeliveries.id, id),
        eq(webhookDeliveries.leaseToken, leaseToken),
        eq(webhookDeliveries.status, 'delivering'),
      ),
    )
    .returning({ id: webhookDeliveries.id });
  return rows.length === 1;
}

/** Counts a failed attempt against the endpoint and returns its failure record. */
export async function recordEndpointFailure(db: Db, id: string): Promise<EndpointRow | undefined> {
  const [row] = await db
    .update(webhookEndpoints)
    .set({
      consecutiveFailures: sql`${webhookEndpoints.consecutiveFailures} + 1`,
      failingSince: sql`coalesce(${webhookEndpoints.failingSince}, now())`,
    })
    .where(eq(webhookEndpoints.id, id))
    .returning();
  return row;
}

export async function recordEndpointSuccess(db: Db, id: string): Promise<void> {
  await db
    .update(webhookEndpoints)
    .set({ consecutiveFailures: 0, failingSince: null })
    .where(eq(webhookEndpoints.id, id));
}

/** Switches an enabled endpoint off; false if it already was. */
export async function disableEndpoint(db: Db, id: string, reason: string): Promise<boolean> {
  const rows = await db
    .update(webhookEndpoints)
    .set({ enabled: false, disabledReason: reason, disabledAt: sql`now()`, updatedAt: sql`now()` })
    .where(and(eq(webhookEndpoints.id, id), eq(webhookEndpoints.enabled, true)))
    .returning({ id: webhookEndpoints.id });
  return rows.length === 1;
}

export async function endpointById(db: Db, id: string): Promise<EndpointRow | undefined> {
  const [row] = await db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id));
  return row;
}

export interface DeliveryWithEvent extends DeliveryRow {
  eventType: string;
}

const deliveryColumns = {
  id: webhookDeliveries.id,
  seq: webhookDeliveries.seq,
  eventId: webhookDeliveries.eventId,
  endpointId: webhookDeliveries.endpointId,
  status: webhookDeliveries.status,
  attempts: webhookDeliveries.attempts,
  nextAttemptAt: webhookDeliveries.nextAttemptAt,
  leaseToken: webhookDeliveries.leaseToken,
  leaseExpiresAt: webhookDeliveries.leaseExpiresAt,
  giveUpAt: webhookDeliveries.giveUpAt,
  lastStatusCode: webhookDeliveries.lastStatusCode,
  lastError: webhookDeliveries.lastError,
  deliveredAt: webhookDeliveries.deliveredAt,
  createdAt: webhookDeliveries.createdAt,
  eventType: webhookEvents.type,
};

/** A page of an endpoint's deliveries, newest first; `before` is the cursor (a `seq`). */
export const deliveriesPage = (
  db: Db,
  endpointId: string,
  before: number | undefined,
  limit: number,
): Promise<DeliveryWithEvent[]> =>
  db
    .select(deliveryColumns)
    .from(webhookDeliveries)
    .innerJoin(webhookEvents, eq(webhookEvents.id, webhookDeliveries.eventId))
    .where(
      and(
        eq(webhookDeliveries.endpointId, endpointId),
        before === undefined ? undefined : lt(webhookDeliveries.seq, before),
      ),
    )
    .orderBy(desc(webhookDeliveries.seq))
    .limit(limit);

/** The delivery when `userId` owns its endpoint. */
export async function deliveryOf(db: Db, userId: string, id: string): Promise<DeliveryWithEvent | undefined> {
  const [row] = await db
    .select(deliveryColumns)
    .from(webhookDeliveries)
    .innerJoin(webhookEvents, eq(webhookEvents.id, webhookDeliveries.eventId))
    .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.endpointId))
    .where(and(eq(webhookDeliveries.id, id), eq(webhookEndpoints.userId, userId)));
  return row;
}

export const attemptsOf = (db: Db, deliveryIds: readonly string[]): Promise<AttemptRow[]> =>
  deliveryIds.length === 0
    ? Promise.resolve([])
    : db
        .select()
        .from(webhookAttempts)
        .where(inArray(webhookAttempts.deliveryId, [...deliveryIds]))
        .orderBy(webhookAttempts.attemptedAt);
