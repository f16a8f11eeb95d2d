import { and, eq, lt, sql } from 'drizzle-orm';
import type { Db } from '../../platform/db/database.js';
import { preparedPer, statementName } from '../../platform/db/prepared.js';
import { idempotencyKeys } from './schema.js';

export type IdempotencyRecord = typeof idempotencyKeys.$inferSelect;

/**
 * Every idempotent request claims its key when it begins and stores its answer when it ends. One
 * statement (`idempotency_claim_complete`, migration 0018) takes the answers and the claims of a
 * whole batch of requests at once (arrays): under load those of one turn of the event loop share
 * one round trip and one commit (see `batching.ts`). Prepared once per database handle: built by
 * drizzle once, parsed and planned by PostgreSQL once per connection.
 */
const claimAndCompleteQuery = preparedPer((db: Db) =>
  db
    .select({
      principal: sql<string>`won.won_principal`,
      key: sql<string>`won.won_key`,
      fingerprint: sql<string>`won.won_fingerprint`,
    })
    .from(
      sql`idempotency_claim_complete(${sql.placeholder('leaseSeconds')}::double precision,
            ${sql.placeholder('claimPrincipals')}::text[], ${sql.placeholder('claimKeys')}::text[],
            ${sql.placeholder('fingerprints')}::text[], ${sql.placeholder('principals')}::text[],
            ${sql.placeholder('keys')}::text[], ${sql.placeholder('statuses')}::int[],
            ${sql.placeholder('bodies')}::text[], ${sql.placeholder('headers')}::text[]) as won`,
    )
    .prepare(statementName(db, 'idempotency_claim_complete')),
);

export interface ClaimInput {
  principal: string;
  key: string;
  fingerprint: string;
}

export interface StoredAnswer {
  principal: string;
  key: string;
  status: number;
  body: string;
  headers: Record<string, string>;
}

/**
 * Stores the answers of requests that held their keys, then claims each (principal, key) for its
 * request, with one lease: true where the request now holds the key, false where someone already
 * did. The same key twice in one batch goes to the first request that asked for it.
 */
export async function claimAndComplete(
  db: Db,
  batch: { claims: readonly ClaimInput[]; answers: readonly StoredAnswer[] },
  leaseSeconds: number,
): Promise<boolean[]> {
  const { claims, answers } = batch;
  const inserted = await claimAndCompleteQuery(db).execute({
    leaseSeconds,
    claimPrincipals: claims.map((c) => c.principal),
    claimKeys: claims.map((c) => c.key),
    fingerprints: claims.map((c) => c.fingerprint),
    principals: answers.map((a) => a.principal),
    keys: answers.map((a) => a.key),
    statuses: answers.map((a) => a.status),
    bodies: answers.map((a) => a.body),
    headers: answers.map((a) => JSON.stringify(a.headers)),
  });
  const won = new Map(inserted.map((row) => [`${row.principal}\0${row.key}`, row.fingerprint]));
  return claims.map((claim) => {
    const id = `${claim.principal}\0${claim.key}`;
    if (won.get(id) !== claim.fingerprint) return false;
    won.delete(id);
    return true;
  });
}

/** A request's claim of its key, or its answer to store. */
export type KeyStep = { claim: ClaimInput } | { answer: StoredAnswer };

/**
 * A batch of steps in one statement: whether each claim won its key; true for each answer stored.
 * If the statement fails (one bad value), step by step, in order, so that only the request at
 * fault gets the error.
 */
export async function applyKeySteps(
  db: Db,
  steps: readonly KeyStep[],
  leaseSeconds: number,
): Promise<(boolean | Error)[]> {
  const claims: ClaimInput[] = [];
  const answers: StoredAnswer[] = [];
  for (const one of steps) {
    if ('claim' in one) claims.push(one.claim);
    else answers.push(one.answer);
  }
  try {
    const won = await claimAndComplete(db, { claims, answers }, leaseSeconds);
    return steps.map((one) => ('claim' in one ? won.shift()! : true));
  } catch (error) {
    if (steps.length === 1) return [error instanceof Error ? error : new Error(String(error))];
    const results: (boolean | Error)[] = [];
    for (const one of steps) results.push((await applyKeySteps(db, [one], leaseSeconds))[0]!);
    return results;
  }
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
