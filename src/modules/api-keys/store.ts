import { and, desc, eq, gt, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import type { Db } from '../../platform/db/database.js';
import type { ApiKeyScope } from './domain.js';
import { apiKeys } from './schema.js';

export type ApiKeyRow = typeof apiKeys.$inferSelect;

export async function insertKey(
  db: Db,
  values: {
    userId: string;
    name: string;
    prefix: string;
    keyHash: string;
    scopes: ApiKeyScope[];
    allowedCidrs: string[] | null;
  },
): Promise<ApiKeyRow> {
  const rows = await db.insert(apiKeys).values(values).returning();
  return rows[0]!;
}

export async function countLiveKeys(db: Db, userId: string): Promise<number> {
  const rows = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(apiKeys)
    .where(and(eq(apiKeys.userId, userId), isNull(apiKeys.revokedAt)));
  return rows[0]?.n ?? 0;
}

export async function liveKeysOf(db: Db, userId: string): Promise<ApiKeyRow[]> {
  return db
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.userId, userId), isNull(apiKeys.revokedAt)))
    .orderBy(desc(apiKeys.createdAt));
}

/** The unrevoked key whose current secret, or replaced secret still in its overlap at `now`, has this hash. */
export async function liveKeyByHash(db: Db, keyHash: string, now: Date): Promise<ApiKeyRow | undefined> {
  const rows = await db
    .select()
    .from(apiKeys)
    .where(
      and(
        isNull(apiKeys.revokedAt),
        or(
          eq(apiKeys.keyHash, keyHash),
          and(eq(apiKeys.previousKeyHash, keyHash), gt(apiKeys.previousKeyExpiresAt, now)),
        ),
      ),
    )
    .limit(1);
  return rows[0];
}

/**
 * One statement, so two rotations racing cannot both keep the same secret as "previous": the
 * current secret becomes the previous one (a secret replaced earlier is forgotten at once).
 */
export async function rotateKey(
  db: Db,
  userId: string,
  id: string,
  next: { keyHash: string; prefix: string; previousKeyExpiresAt: Date },
): Promise<ApiKeyRow | undefined> {
  const rows = await db
    .update(apiKeys)
    .set({
      previousKeyHash: sql.raw('"key_hash"'),
      previousPrefix: sql.raw('"prefix"'),
      previousKeyExpiresAt: next.previousKeyExpiresAt,
      keyHash: next.keyHash,
      prefix: next.prefix,
    })
    .where(and(eq(apiKeys.id, id), eq(apiKeys.userId, userId), isNull(apiKeys.revokedAt)))
    .returning();
  return rows[0];
}

/** Of these keys, those not revoked (one query for many open streams). */
export async function liveKeyIds(db: Db, ids: readonly string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .select({ id: apiKeys.id })
    .from(apiKeys)
    .where(and(inArray(apiKeys.id, [...ids]), isNull(apiKeys.revokedAt)));
  return rows.map((row) => row.id);
}

export async function revokeKey(db: Db, userId: string, id: string): Promise<boolean> {
  const rows = await db
    .update(apiKeys)
    .set({ revokedAt: sql`now()` })
    .where(and(eq(apiKeys.id, id), eq(apiKeys.userId, userId), isNull(apiKeys.revokedAt)))
    .returning({ id: apiKeys.id });
  return rows.length === 1;
}

/** Records use at most once a minute per key (a conditional update, cheap when skipped). */
export async function touchKey(db: Db, id: string): Promise<void> {
  await db
    .update(apiKeys)
    .set({ lastUsedAt: sql`now()` })
    .where(
      and(
        eq(apiKeys.id, id),
        or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, sql`now() - interval '1 minute'`)),
      ),
    );
}
