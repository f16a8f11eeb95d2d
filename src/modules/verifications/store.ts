/** The verifications module's tables and queries; no other module touches them. */
import {
  type SQL,
  and,
  asc,
  count,
  desc,
  eq,
  gte,
  inArray,
  isNotNull,
  isNull,
  lt,
  lte,
  or,
  sql,
} from 'drizzle-orm';
import type { Db } from '../../platform/db/database.js';
import { batched } from '../../platform/db/batching.js';
import { preparedPer, statementName } from '../../platform/db/prepared.js';
import { jsonOf, rowFromJson } from '../../platform/db/raw.js';
import { SMS_POLL_CADENCE } from '../routing/index.js';
import { OPEN_STATUSES, PROVIDERS, type ProviderName, type VerificationStatus } from './domain.js';
import { verificationMessages, verifications } from './schema.js';

export type VerificationRow = typeof verifications.$inferSelect;
export type MessageRow = typeof verificationMessages.$inferSelect;
export type NewVerification = typeof verifications.$inferInsert;

/** Serializes one user's purchases for the rest of the transaction (exact active-order limit). */
export async function lockUserPurchases(tx: Db, userId: string): Promise<void> {
  await tx.execute(
    sql`select pg_advisory_xact_lock(hashtextextended(${`verification-purchase:${userId}`}, 0))`,
  );
}

export async function countOpen(tx: Db, userId: string): Promise<number> {
  const [row] = await tx
    .select({ n: count() })
    .from(verifications)
    .where(and(eq(verifications.userId, userId), inArray(verifications.status, OPEN_STATUSES)));
  return row?.n ?? 0;
}

/** Inserts the order unless one with this id exists; returns the new row or undefined. */
export async function insertPending(tx: Db, row: NewVerification): Promise<VerificationRow | undefined> {
  const [created] = await tx
    .insert(verifications)
    .values(row)
    .onConflictDoNothing({ target: verifications.id })
    .returning();
  return created;
}

/** Links the order to its hold and records what the hold is in. */
export async function setHold(
  tx: Db,
  id: string,
  hold: { id: string; amount: number; currency: VerificationRow['currency'] },
): Promise<VerificationRow> {
  const [row] = await tx
    .update(verifications)
    .set({ holdId: hold.id, chargeAmount: hold.amount, currency: hold.currency })
    .where(eq(verifications.id, id))
    .returning();
  if (!row) throw new Error(`verification ${id} vanished while being opened`);
  return row;
}

/** What phase 1 of a purchase opens: the order, and what may pay for it in the order to try. */
export interface OpenOrderInput {
  id: string;
  userId: string;
  maxOpenOrders: number;
  service: string;
  country: string;
  capability: NewVerification['capability'];
  options: NonNullable<NewVerification['options']>;
  priceCents: number;
  providerCostCents: number;
  provider: ProviderName;
  holdReference: string;
  memo: string;
  /** The first whose wallet covers its amount pays (a refused hold writes nothing). */
  charges: ReadonlyArray<{ currency: VerificationRow['currency']; amount: number }>;
}

export type OpenOrderAnswer =
  | { outcome: 'created' | 'exists'; order: VerificationRow }
  | { outcome: 'needs_event' | 'not_found' | 'active_limit_reached' | 'insufficient_funds' };

export interface Activation {
  id: string;
  providerId: string;
  phoneNumber: string;
  endsAt: Date | null;
}

/**
 * Phase 1 of a purchase in one round trip (`verification_open`, migrations 0014 and 0016): the
 * user's purchase lock, the replay of an existing order, the open-order limit, the hold and the
 * order. With `eventType`, answers `needs_event` having written nothing when one of the user's
 * webhook endpoints takes that event (the caller then opens the order in a transaction with its
 * event).
 *
 * On the database handle (not in a transaction), it shares a statement with the other purchases of
 * its turn of the event loop (see `purchaseSteps`); in a transaction it runs alone.
 */
export async function openOrder(
  db: Db,
  input: OpenOrderInput,
  eventType: string | null,
  opts: { inTransaction?: boolean } = {},
): Promise<OpenOrderAnswer> {
  const open = { input, eventType };
  const [result] = opts.inTransaction ? await runSteps(db, [{ open }]) : [await purchaseSteps(db)({ open })];
  if (!result || !('opened' in result)) throw new Error('verification_open_activate answered no opening');
  return result.opened;
}

/**
 * `pending` → `active` with its number: the purchase's last statement. The same conditional UPDATE
 * as `transition`; undefined when the order left `pending` meanwhile. Shares a statement with the
 * other purchases of its turn of the event loop (see `purchaseSteps`).
 */
export async function activatePending(
  db: Db,
  id: string,
  set: Omit<Activation, 'id'>,
): Promise<VerificationRow | undefined> {
  const result = await purchaseSteps(db)({ activate: { id, ...set } });
  if (!('activated' in result)) throw new Error('verification_open_activate answered no activation');
  return result.activated;
}

interface Opening {
  input: OpenOrderInput;
  eventType: string | null;
}

/** A purchase's statement of its own: its opening (phase 1) or its activation (phase 3). */
type PurchaseStep = { open: Opening } | { activate: Activation };
type StepResult = { opened: OpenOrderAnswer } | { activated: VerificationRow | undefined };

/** One batcher per database handle: the openings and activations of a moment, one statement. */
const purchaseSteps = preparedPer((db: Db) =>
  batched((batch: readonly PurchaseStep[]) => stepBatch(db, batch)),
);

/**
 * A batch in as few statements as it allows. An order activated twice (two attempts racing to
 * activate it) goes again in a later statement, so that one of them activates it and the other
 * finds it no longer pending, as with statements of their own.
 */
async function stepBatch(db: Db, batch: readonly PurchaseStep[]): Promise<(StepResult | Error)[]> {
  const results: (StepResult | Error)[] = [];
  let rest = batch.map((step, index) => ({ step, index }));
  while (rest.length > 0) {
    const activated = new Set<string>();
    const round = rest.filter(({ step }) => {
      if (!('activate' in step)) return true;
      if (activated.has(step.activate.id)) return false;
      activated.add(step.activate.id);
      return true;
    });
    rest = rest.filter((item) => !round.includes(item));
    const answers = await runRound(
      db,
      round.map((item) => item.step),
    );
    round.forEach((item, i) => (results[item.index] = answers[i]!));
  }
  return results;
}

/**
 * One statement for the round; if it fails (a deadlock with some other transaction, a broken
 * invariant, a provider id that is already another order's), step by step, so that only the step
 * at fault gets the error.
 */
async function runRound(db: Db, steps: readonly PurchaseStep[]): Promise<(StepResult | Error)[]> {
  try {
    return await runSteps(db, steps);
  } catch (error) {
    if (steps.length === 1) return [asError(error)];
    const results: (StepResult | Error)[] = [];
    for (const step of steps) results.push(await runSteps(db, [step]).then(([result]) => result!, asError));
    return results;
  }
}

/** What a failed statement gave its caller, as the Error the batcher hands that caller alone. */
const asError = (failure: unknown) => (failure instanceof Error ? failure : new Error(String(failure)));

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

type StepRow = { at: number | string; answer: Record<string, unknown> | string };

/**
 * The steps in one statement: the activations, then the openings with their users in one order,
 * in every statement (each opening locks its user): two statements on two connections then never
 * wait on each other's users crosswise.
 */
async function runSteps(db: Db, steps: readonly PurchaseStep[]): Promise<StepResult[]> {
  const openings = steps
    .flatMap((step, index) => ('open' in step ? [{ opening: step.open, index }] : []))
    .sort((a, b) => compare(a.opening.input.userId, b.opening.input.userId) || a.index - b.index);
  const activations = steps.flatMap((step, index) =>
    'activate' in step ? [{ activation: step.activate, index }] : [],
  );
  const inputs = openings.map((o) => o.opening.input);
  const rows: StepRow[] = await openActivateQuery(db).execute({
    openStatuses: OPEN_STATUSES,
    ids: inputs.map((i) => i.id),
    userIds: inputs.map((i) => i.userId),
    maxOpen: inputs.map((i) => i.maxOpenOrders),
    services: inputs.map((i) => i.service),
    countries: inputs.map((i) => i.country),
    capabilities: inputs.map((i) => i.capability),
    options: inputs.map((i) => JSON.stringify(i.options)),
    prices: inputs.map((i) => i.priceCents),
    providerCosts: inputs.map((i) => i.providerCostCents),
    providers: inputs.map((i) => i.provider),
    holdReferences: inputs.map((i) => i.holdReference),
    memos: inputs.map((i) => i.memo),
    charges: inputs.map((i) => JSON.stringify(i.charges)),
    eventTypes: openings.map((o) => o.opening.eventType),
    activateIds: activations.map((a) => a.activation.id),
    providerIds: activations.map((a) => a.activation.providerId),
    phoneNumbers: activations.map((a) => a.activation.phoneNumber),
    endsAts: activations.map((a) => a.activation.endsAt?.toISOString() ?? null),
    updatedAt: new Date().toISOString(),
  });
  const opened = new Map<number, Record<string, unknown>>();
  const activated = new Map<string, VerificationRow>();
  for (const row of rows) {
    const answer = jsonOf(row.answer);
    if (Number(row.at) === 0) {
      const order = rowFromJson(verifications, answer);
      activated.set(order.id, order);
    } else opened.set(Number(row.at), answer);
  }
  const results: StepResult[] = [];
  openings.forEach(({ index }, i) => {
    const answer = opened.get(i + 1);
    if (answer === undefined) throw new Error('verification_open answered nothing');
    results[index] = { opened: openAnswerOf(answer as Parameters<typeof openAnswerOf>[0]) };
  });
  for (const { activation, index } of activations) {
    results[index] = { activated: activated.get(activation.id) };
  }
  return results;
}

/**
 * `verification_open_activate` (migration 0019), prepared once per database handle: built by
 * drizzle once, parsed and planned by PostgreSQL once per connection. Openings are
 * `verification_open` for each row of their arrays, in their order; the function is volatile, so
 * each call sees what the calls before it in the statement wrote (a user's second purchase counts
 * the first).
 */
const openActivateQuery = preparedPer((db: Db) =>
  db
    .select({ at: sql<number | string>`step.at`, answer: sql<StepRow['answer']>`step.answer` })
    .from(
      sql`verification_open_activate(${sql.placeholder('ids')}::uuid[], ${sql.placeholder('userIds')}::text[],
            ${sql.placeholder('maxOpen')}::bigint[], ${sql.placeholder('openStatuses')}::text[],
            ${sql.placeholder('services')}::text[], ${sql.placeholder('countries')}::text[],
            ${sql.placeholder('capabilities')}::text[], ${sql.placeholder('options')}::jsonb[],
            ${sql.placeholder('prices')}::bigint[], ${sql.placeholder('providerCosts')}::bigint[],
            ${sql.placeholder('providers')}::text[], ${sql.placeholder('holdReferences')}::text[],
            ${sql.placeholder('memos')}::text[], ${sql.placeholder('charges')}::jsonb[],
            ${sql.placeholder('eventTypes')}::text[], ${sql.placeholder('activateIds')}::uuid[],
            ${sql.placeholder('providerIds')}::text[], ${sql.placeholder('phoneNumbers')}::text[],
            ${sql.placeholder('endsAts')}::timestamptz[], ${sql.placeholder('updatedAt')}::timestamptz) as step`,
    )
    .prepare(statementName(db, 'verification_open_activate')),
);

function openAnswerOf(answer: { outcome: string; order?: Record<string, unknown> }): OpenOrderAnswer {
  switch (answer.outcome) {
    case 'created':
    case 'exists':
      if (!answer.order) break;
      return { outcome: answer.outcome, order: rowFromJson(verifications, answer.order) };
    case 'needs_event':
    case 'not_found':
    case 'active_limit_reached':
    case 'insufficient_funds':
      return { outcome: answer.outcome };
  }
  throw new Error(`verification_open answered ${answer.outcome}`);
}

export async function findById(db: Db, id: string): Promise<VerificationRow | undefined> {
  const [row] = await db.select().from(verifications).where(eq(verifications.id, id));
  return row;
}

export async function findForUser(db: Db, id: string, userId: string): Promise<VerificationRow | undefined> {
  const [row] = await db
    .select()
    .from(verifications)
    .where(and(eq(verifications.id, id), eq(verifications.userId, userId)));
  return row;
}

/** Locks the order a provider reservation belongs to, for the rest of the transaction. */
/** The caller's order by its serial (the SMS-Activate activation id). */
export async function findBySerialForUser(
  db: Db,
  serial: number,
  userId: string,
): Promise<VerificationRow | undefined> {
  const [row] = await db
    .select()
    .from(verifications)
    .where(and(eq(verifications.serial, serial), eq(verifications.userId, userId)));
  return row;
}

export async function findByProviderId(
  db: Db,
  provider: ProviderName,
  providerId: string,
): Promise<VerificationRow | undefined> {
  const [row] = await db
    .select()
    .from(verifications)
    .where(and(eq(verifications.provider, provider), eq(verifications.providerId, providerId)));
  return row;
}

export async function lockByProviderId(
  tx: Db,
  provider: ProviderName,
  providerId: string,
): Promise<VerificationRow | undefined> {
  const [row] = await tx
    .select()
    .from(verifications)
    .where(and(eq(verifications.provider, provider), eq(verifications.providerId, providerId)))
    .for('update');
  return row;
}

/** Moves `from` → `to` only if the order is still in `from`; the returned row says who won. */
export async function transition(
  tx: Db,
  id: string,
  from: VerificationStatus,
  to: VerificationStatus,
  set: Partial<Omit<NewVerification, 'id' | 'status'>> = {},
): Promise<VerificationRow | undefined> {
  return transitionWhere(tx, id, from, to, set);
}

/** A completed order whose first SMS carried no code found one in a later SMS (names it once). */
export function nameLateCode(tx: Db, id: string, code: string): Promise<VerificationRow | undefined> {
  return transitionWhere(tx, id, 'completed', 'completed', { code }, isNull(verifications.code));
}

/** `active` → `expired` (no SMS), only when its window has ended by `now`. */
export function expireEnded(tx: Db, id: string, now: Date): Promise<VerificationRow | undefined> {
  return transitionWhere(
    tx,
    id,
    'active',
    'expired',
    { failureCode: 'no_sms' },
    lte(verifications.endsAt, now),
  );
}

/** Marks a completed order reported, once (undefined when it already carries a failure code). */
export function markReportedOnce(tx: Db, id: string): Promise<VerificationRow | undefined> {
  return transitionWhere(
    tx,
    id,
    'completed',
    'completed',
    { failureCode: 'reported' },
    isNull(verifications.failureCode),
  );
}

async function transitionWhere(
  tx: Db,
  id: string,
  from: VerificationStatus,
  to: VerificationStatus,
  set: Partial<Omit<NewVerification, 'id' | 'status'>>,
  extra?: SQL,
): Promise<VerificationRow | undefined> {
  const [row] = await tx
    .update(verifications)
    .set({ ...set, status: to, updatedAt: new Date() })
    .where(and(eq(verifications.id, id), eq(verifications.status, from), ...(extra ? [extra] : [])))
    .returning();
  return row;
}

export async function insertMessage(
  tx: Db,
  row: typeof verificationMessages.$inferInsert,
): Promise<MessageRow | undefined> {
  const [created] = await tx
    .insert(verificationMessages)
    .values(row)
    .onConflictDoNothing({ target: verificationMessages.dedupeKey })
    .returning();
  return created;
}

export async function messagesOf(db: Db, verificationId: string): Promise<MessageRow[]> {
  return db
    .select()
    .from(verificationMessages)
    .where(eq(verificationMessages.verificationId, verificationId))
    .orderBy(asc(verificationMessages.receivedAt), asc(verificationMessages.createdAt));
}

/** `created_at` at full precision (microseconds, UTC), the time part of a list cursor. */
const exactCreatedAt = sql<string>`to_char(${verifications.createdAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/**
 * A user's orders, newest first, after the cursor `before`. The cursor's time is compared in SQL
 * as text cast to timestamptz, so the comparison keeps the microseconds the column holds.
 */
export async function listForUser(
  db: Db,
  userId: string,
  filter: {
    statuses?: VerificationStatus[];
    service?: string;
    before?: { createdAt: string; id: string };
    limit: number;
  },
): Promise<Array<{ row: VerificationRow; cursorAt: string }>> {
  const conditions = [eq(verifications.userId, userId)];
  if (filter.statuses?.length) conditions.push(inArray(verifications.status, filter.statuses));
  if (filter.service) conditions.push(eq(verifications.service, filter.service));
  if (filter.before) {
    const at = sql`${filter.before.createdAt}::timestamptz`;
    conditions.push(
      or(
        lt(verifications.createdAt, at),
        and(eq(verifications.createdAt, at), lt(verifications.id, filter.before.id)),
      )!,
    );
  }
  return db
    .select({ row: verifications, cursorAt: exactCreatedAt })
    .from(verifications)
    .where(and(...conditions))
    .orderBy(desc(verifications.createdAt), desc(verifications.id))
    .limit(filter.limit);
}

/** `ms` before `at`. */
const before = (at: Date, ms: number) => new Date(at.getTime() - ms);

/** The provider's orders due for a poll at `now`, by its cadence (SMS_POLL_CADENCE). */
function dueAt(provider: ProviderName, now: Date): SQL {
  const v = verifications;
  const { firstAfterMs, everyMs } = SMS_POLL_CADENCE[provider];
  // Without a delay the first poll needs no clock comparison (the app's and the database's clocks may differ).
  const firstDue =
    firstAfterMs > 0
      ? and(isNull(v.polledAt), lte(v.createdAt, before(now, firstAfterMs)))
      : isNull(v.polledAt);
  return and(eq(v.provider, provider), or(firstDue, lte(v.polledAt, before(now, everyMs))))!;
}

/**
 * Active orders with a number whose provider's cadence makes them due for a poll at `now`, least
 * recently polled first (never polled first, oldest first): successive cycles rotate through all
 * of them even when more are due than one cycle polls. Served by `verifications_poll_idx`.
 */
export async function dueForPoll(db: Db, now: Date, limit: number): Promise<VerificationRow[]> {
  const v = verifications;
  return db
    .select()
    .from(v)
    .where(
      and(
        eq(v.status, 'active'),
        isNotNull(v.providerId),
        or(...PROVIDERS.map((provider) => dueAt(provider, now))),
      ),
    )
    .orderBy(sql`${v.polledAt} asc nulls first`, asc(v.createdAt))
    .limit(limit);
}

/** Records one poll cycle's orders as polled at `at`, in one statement. */
export async function markPolled(db: Db, ids: readonly string[], at: Date): Promise<void> {
  if (ids.length === 0) return;
  await db
    .update(verifications)
    .set({ polledAt: at })
    .where(inArray(verifications.id, [...ids]));
}

export async function pastWindow(db: Db, now: Date, limit: number): Promise<VerificationRow[]> {
  return db
    .select()
    .from(verifications)
    .where(and(eq(verifications.status, 'active'), lte(verifications.endsAt, now)))
    .orderBy(asc(verifications.endsAt))
    .limit(limit);
}

/**
 * Orders still `pending` since before `createdBefore`: purchases, or (with `renewals`) renewals of an
 * earlier number, which are reconciled differently (renew.ts).
 */
export async function stalePending(
  db: Db,
  createdBefore: Date,
  limit: number,
  opts: { renewals?: boolean } = {},
): Promise<VerificationRow[]> {
  return db
    .select()
    .from(verifications)
    .where(
      and(
        eq(verifications.status, 'pending'),
        lte(verifications.createdAt, createdBefore),
        opts.renewals ? isNotNull(verifications.reusedFrom) : isNull(verifications.reusedFrom),
      ),
    )
    .orderBy(asc(verifications.createdAt))
    .limit(limit);
}

export async function owedUpstream(db: Db, limit: number): Promise<VerificationRow[]> {
  return db
    .select()
    .from(verifications)
    .where(isNotNull(verifications.upstreamAction))
    .orderBy(asc(verifications.updatedAt))
    .limit(limit);
}

export async function settleUpstream(db: Db, id: string, done: boolean): Promise<void> {
  await db
    .update(verifications)
    .set(
      done
        ? { upstreamAction: null, updatedAt: new Date() }
        : { upstreamAttempts: sql`${verifications.upstreamAttempts} + 1`, updatedAt: new Date() },
    )
    .where(eq(verifications.id, id));
}

/** Records the provider's verification of an order canceled before its number was known. */
export async function attachProviderToCanceled(
  db: Db,
  id: string,
  providerId: string,
): Promise<VerificationRow | undefined> {
  const [row] = await db
    .update(verifications)
    .set({ providerId, upstreamAction: 'cancel', upstreamAttempts: 0, updatedAt: new Date() })
    .where(
      and(eq(verifications.id, id), eq(verifications.status, 'canceled'), isNull(verifications.providerId)),
    )
    .returning();
  return row;
}

/** A canceled order whose purchase the provider refused owes it nothing. */
export async function settleUpstreamIfUnbought(db: Db, id: string): Promise<void> {
  await db
    .update(verifications)
    .set({ upstreamAction: null, updatedAt: new Date() })
    .where(
      and(eq(verifications.id, id), eq(verifications.status, 'canceled'), isNull(verifications.providerId)),
    );
}

/**
 * Moves a pending order, still unbought, from the provider that refused it to the next one
 * (failover within one purchase); undefined when it changed meanwhile (e.g. canceled).
 */
export async function switchProvider(
  db: Db,
  id: string,
  from: ProviderName,
  to: ProviderName,
): Promise<VerificationRow | undefined> {
  const [row] = await db
    .update(verifications)
    .set({ provider: to, updatedAt: new Date() })
    .where(
      and(
        eq(verifications.id, id),
        eq(verifications.status, 'pending'),
        eq(verifications.provider, from),
        isNull(verifications.providerId),
      ),
    )
    .returning();
  return row;
}

/** Which of these provider order ids already belong to one of our orders. */
export async function claimedProviderIds(
  db: Db,
  provider: ProviderName,
  ids: string[],
): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db
    .select({ providerId: verifications.providerId })
    .from(verifications)
    .where(and(eq(verifications.provider, provider), inArray(verifications.providerId, ids)));
  return new Set(rows.map((r) => r.providerId).filter((id): id is string => id !== null));
}

/**
 * Delivery figures' raw counts over finished orders created in [weekStart, now]: one row per
 * (service, country, provider), (service, country) and (service). What counts is set out in
 * delivery-stats.ts: completed = delivered; expired, and canceled with a number = not delivered.
 */
export async function deliveryAggregate(db: Db, w: { now: Date; weekStart: Date; dayStart: Date }) {
  const v = verifications;
  const counted = sql`(${v.status} in ('completed', 'expired') or (${v.status} = 'canceled' and ${v.phoneNumber} is not null))`;
  const delivered = sql`${v.status} = 'completed'`;
  const lastDay = gte(v.createdAt, w.dayStart);
  const secondsToCode = sql`extract(epoch from ${v.completedAt} - ${v.createdAt})::float8`;
  const median = (filter: SQL) =>
    sql<
      number | null
    >`percentile_cont(0.5) within group (order by ${secondsToCode}) filter (where ${filter})`.mapWith(Number);
  const countWhere = (filter: SQL) => sql<number>`count(*) filter (where ${filter})`.mapWith(Number);
  return db
    .select({
      service: v.service,
      country: v.country,
      provider: v.provider,
      // 0: one provider, 1: all providers of a country, 3: all countries and providers.
      level: sql<number>`grouping(${v.country}, ${v.provider})`.mapWith(Number),
      orders7d: sql<number>`count(*)`.mapWith(Number),
      delivered7d: countWhere(delivered),
      median7d: median(delivered),
      orders24h: countWhere(lastDay),
      delivered24h: countWhere(sql`${lastDay} and ${delivered}`),
      median24h: median(sql`${lastDay} and ${delivered}`),
    })
    .from(v)
    .where(and(gte(v.createdAt, w.weekStart), lte(v.createdAt, w.now), counted))
    .groupBy(
      sql`grouping sets ((${v.service}, ${v.country}, ${v.provider}), (${v.service}, ${v.country}), (${v.service}))`,
    );
}
