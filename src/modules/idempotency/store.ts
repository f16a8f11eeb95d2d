import { and, eq, lt, sql } from 'drizzle-orm';
import type { Db } from '../../platform/db/database.js';
import { preparedPer, statementName } from '../../platform/db/prepared.js';
import { idempotencyKeys } from './schema.js';

export type IdempotencyRecord = typeof idempotencyKeys.$inferSelect;

/**
 * The two statements every idempotent request sends (claim, then complete) are prepared once per
 * database handle: built by drizzle once, parsed by PostgreSQL once per connection. Placeholders
 * are not typed as column values in `values`/`set`, so they go as SQL with a cast.
 */
const claimQuery = preparedPer((db: Db) =>
  db
    .insert(idempotencyKeys)
    .values({
      principal: sql`${sql.placeholder('principal')}::text`,
      key: sql`${sql.placeholder('key')}::text`,
      fingerprint: sql`${sql.placeholder('fingerprint')}::text`,
      leaseExpiresAt: sql`now() + make_interval(secs => ${sql.placeholder('leaseSeconds')}::double precision)`,
    })
    .onConflictDoNothing()
    .returning({ key: idempotencyKeys.key })
    .prepare(statementName(db, 'idempotency_claim')),
);

const completeQuery = preparedPer((db: Db) =>
  db
    .update(idempotencyKeys)
    .set({
      status: 'completed',
      responseStatus: sql`${sql.placeholder('status')}::int`,
      responseBody: sql`${sql.placeholder('body')}::text`,
      responseHeaders: sql`${sql.placeholder('headers')}::jsonb`,
    })
    .where(
      and(
        eq(idempotencyKeys.principal, sql.placeholder('principal')),
        eq(idempotencyKeys.key, sql.placeholder('key')),
      ),
    )
    .prepare(statementName(db, 'idempotency_complete')),
);

/** Claims (principal, key) for this request; `undefined` when someone already holds it. */
export async function claim(
  db: Db,
  values: { principal: string; key: string; fingerprint: string; leaseSeconds: number },
): Promise<boolean> {
  const [row] = await claimQuery(db).execute({
    principal: values.principal,
    key: values.key,
    fingerprint: values.fingerprint,
    leaseSeconds: values.leaseSeconds,
  });
  return row !== undefined;
}

export async function find(db: Db, principal: string, key: string): Promise<IdempotencyRecord | undefined> {
  const [row] = await db
    .select()
    .from(idempotencyKeys)
    .where(and(eq(idempotencyKeys.principal, principal), eq(idempotencyKeys.key, key)));
  return row;
}

/** Takes over a key whose request died without answering (its lease ran out). */
export async function takeOverAbandoned(
  db: Db,
  principal: string,
  key: string,
  leaseSeconds: number,
): Promise<boolean> {
  const [row] = await db
    .update(idempotencyKeys)
    .set({ leaseExpiresAt: sql`now() + make_interval(secs => ${leaseSeconds})` })
    .where(
      and(
        eq(idempotencyKeys.principal, principal),
        eq(idempotencyKeys.key, key),
        eq(idempotencyKeys.status, 'in_flight'),
        lt(idempotencyKeys.leaseExpiresAt, sql`now()`),
      ),
    )
    .returning({ key: idempotencyKeys.key });
  return row !== undefined;
}

/** The holder is alive: pushes the lease of its in-flight key forward. */
export async function renewLease(
  db: Db,
  principal: string,
  key: string,
  leaseSeconds: number,
): Promise<void> {
  await db
    .update(idempotencyKeys)
    .set({ leaseExpiresAt: sql`now() + make_interval(secs => ${leaseSeconds})` })
    .where(
      and(
        eq(idempotencyKeys.principal, principal),
        eq(idempotencyKeys.key, key),
        eq(idempotencyKeys.status, 'in_flight'),
      ),
    );
}

export async function complete(
  db: Db,
  principal: string,
  key: string,
  response: { status: number; body: string; headers: Record<string, string> },
): Promise<void> {
  await completeQuery(db).execute({
    principal,
    key,
    status: response.status,
    body: response.body,
    headers: JSON.stringify(response.headers),
  });
}

export async function releaseKey(db: Db, principal: string, key: string): Promise<void> {
  await db
    .delete(idempotencyKeys)
    .where(
      and(
        eq(idempotencyKeys.principal, principal),
        eq(idempotencyKeys.key, key),
        eq(idempotencyKeys.status, 'in_flight'),
      ),
    );
}

/** Drops a key older than the retention window so its name can be used afresh. */
export async function deleteIfExpired(
  db: Db,
  principal: string,
  key: string,
  ttlHours: number,
): Promise<boolean> {
  const rows = await db
    .delete(idempotencyKeys)
    .where(
      and(
        eq(idempotencyKeys.principal, principal),
        eq(idempotencyKeys.key, key),
        lt(idempotencyKeys.createdAt, sql`now() - make_interval(hours => ${ttlHours})`),
      ),
    )
    .returning({ key: idempotencyKeys.key });
  return rows.length > 0;
}

export async function pruneOlderThan(db: Db, ttlHours: number): Promise<number> {
  const rows = await db
    .delete(idempotencyKeys)
    .where(lt(idempotencyKeys.createdAt, sql`now() - make_interval(hours => ${ttlHours})`))
    .returning({ key: idempotencyKeys.key });
  return rows.length;
}
