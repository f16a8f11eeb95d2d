import { and, eq, lt, sql } from 'drizzle-orm';
import type { Db } from '../../platform/db/database.js';
import { preparedPer, statementName } from '../../platform/db/prepared.js';
import { idempotencyKeys } from './schema.js';

export type IdempotencyRecord = typeof idempotencyKeys.$inferSelect;

/**
 * The two statements every idempotent request sends (claim, then complete) take a whole batch of
 * requests at once (arrays, unnested): under load the requests of one turn of the event loop share
 * one round trip and one commit (see `batching.ts`). Each is prepared once per database handle:
 * built by drizzle once, parsed by PostgreSQL once per connection.
 */
const claimQuery = preparedPer((db: Db) =>
  db
    .insert(idempotencyKeys)
    // Every column, in the table's order: drizzle names them all in the INSERT.
    .select(
      sql`select c.principal, c.key, c.fingerprint, 'in_flight', null::int, null::text, null::jsonb, now(),
            now() + make_interval(secs => ${sql.placeholder('leaseSeconds')}::double precision)
          from unnest(${sql.placeholder('principals')}::text[], ${sql.placeholder('keys')}::text[],
                      ${sql.placeholder('fingerprints')}::text[]) as c(principal, key, fingerprint)`,
    )
    .onConflictDoNothing()
    .returning({
      principal: idempotencyKeys.principal,
      key: idempotencyKeys.key,
      fingerprint: idempotencyKeys.fingerprint,
    })
    .prepare(statementName(db, 'idempotency_claim')),
);

/** `idempotency_complete_many` (migration 0017): planned once per connection. */
const completeQuery = preparedPer((db: Db) =>
  db
    .select({ done: sql`1` })
    .from(
      sql`idempotency_complete_many(${sql.placeholder('principals')}::text[], ${sql.placeholder('keys')}::text[],
            ${sql.placeholder('statuses')}::int[], ${sql.placeholder('bodies')}::text[],
            ${sql.placeholder('headers')}::text[])`,
    )
    .prepare(statementName(db, 'idempotency_complete')),
);

export interface ClaimInput {
  principal: string;
  key: string;
  fingerprint: string;
}

/**
 * Claims each (principal, key) for its request, all in one statement with one lease; true where
 * the request now holds the key, false where someone already did. The same key twice in one batch
 * goes to the first request that asked for it.
 */
export async function claimMany(
  db: Db,
  claims: readonly ClaimInput[],
  leaseSeconds: number,
): Promise<boolean[]> {
  const inserted = await claimQuery(db).execute({
    principals: claims.map((c) => c.principal),
    keys: claims.map((c) => c.key),
    fingerprints: claims.map((c) => c.fingerprint),
    leaseSeconds,
  });
  const won = new Map(inserted.map((row) => [`${row.principal}\0${row.key}`, row.fingerprint]));
  return claims.map((claim) => {
    const id = `${claim.principal}\0${claim.key}`;
    if (won.get(id) !== claim.fingerprint) return false;
    won.delete(id);
    return true;
  });
}

export interface StoredAnswer {
  principal: string;
  key: string;
  status: number;
  body: string;
  headers: Record<string, string>;
}

/** Stores the answers of requests that held their keys, all in one statement. */
export async function completeMany(db: Db, answers: readonly StoredAnswer[]): Promise<void> {
  await completeQuery(db).execute({
    principals: answers.map((a) => a.principal),
    keys: answers.map((a) => a.key),
    statuses: answers.map((a) => a.status),
    bodies: answers.map((a) => a.body),
    headers: answers.map((a) => JSON.stringify(a.headers)),
  });
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
