import { and, desc, eq, gt, inArray, isNull, lt, ne, or, sql } from 'drizzle-orm';
import type { Db } from '../../platform/db/database.js';
import { preparedPer, statementName } from '../../platform/db/prepared.js';
import { jsonOf, rowFromJson } from '../../platform/db/raw.js';
import type { EmailTokenPurpose, UserRole } from './domain.js';
import { captchaUses, emailTokens, loginFailures, refreshTokens, sessions, users } from './schema.js';

/** The accounts module's tables and queries; no other module touches them. */
export type UserRow = typeof users.$inferSelect;
export type SessionRow = typeof sessions.$inferSelect;
export type { EmailTokenPurpose };

export async function insertUser(
  db: Db,
  values: { email: string; passwordHash: string; emailConfirmedAt?: Date; role?: UserRole },
): Promise<UserRow | undefined> {
  const rows = await db.insert(users).values(values).onConflictDoNothing().returning();
  return rows[0];
}

export async function userByEmail(db: Db, email: string): Promise<UserRow | undefined> {
  const rows = await db
    .select()
    .from(users)
    .where(sql`lower(${users.email}) = ${email.toLowerCase()}`)
    .limit(1);
  return rows[0];
}

export async function userById(
  db: Db,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<UserRow | undefined> {
  const query = db.select().from(users).where(eq(users.id, id)).limit(1);
  const rows = options.forUpdate ? await query.for('update') : await query;
  return rows[0];
}

export async function updateUser(
  db: Db,
  id: string,
  values: Partial<Omit<UserRow, 'id' | 'createdAt'>>,
): Promise<UserRow | undefined> {
  const rows = await db
    .update(users)
    .set({ ...values, updatedAt: new Date() })
    .where(eq(users.id, id))
    .returning();
  return rows[0];
}

// Failed sign-ins, per subject (`email:<address>`, `ip:<client>`).

/** The failure counts of `subjects` within the window (0 for a subject without recent failures). */
export async function failuresOf(
  db: Db,
  subjects: readonly string[],
  windowSeconds: number,
): Promise<Map<string, number>> {
  const counts = new Map(subjects.map((subject) => [subject, 0]));
  if (subjects.length === 0) return counts;
  const rows = await db
    .select({ subject: loginFailures.subject, failures: loginFailures.failures })
    .from(loginFailures)
    .where(
      and(
        inArray(loginFailures.subject, [...subjects]),
        gt(loginFailures.lastFailureAt, sql`now() - make_interval(secs => ${windowSeconds})`),
      ),
    );
  for (const row of rows) counts.set(row.subject, row.failures);
  return counts;
}

/** Counts one more failure (restarting the count when the last one is older than the window). */
export async function recordFailure(db: Db, subject: string, windowSeconds: number): Promise<number> {
  const rows = await db
    .insert(loginFailures)
    .values({ subject, failures: 1 })
    .onConflictDoUpdate({
      target: loginFailures.subject,
      set: {
        failures: sql`case when ${loginFailures.lastFailureAt} > now() - make_interval(secs => ${windowSeconds}) then ${loginFailures.failures} + 1 else 1 end`,
        lastFailureAt: sql`now()`,
      },
    })
    .returning({ failures: loginFailures.failures });
  return rows[0]?.failures ?? 1;
}

export async function clearFailures(db: Db, subject: string): Promise<void> {
  await db.delete(loginFailures).where(eq(loginFailures.subject, subject));
}

// Sessions and refresh tokens.

export async function insertSession(
  db: Db,
  values: { userId: string; userAgent: string | null; ip: string | null; expiresAt: Date },
): Promise<SessionRow> {
  const rows = await db.insert(sessions).values(values).returning();
  return rows[0]!;
}

export async function insertRefreshToken(db: Db, sessionId: string, tokenHash: string): Promise<void> {
  await db.insert(refreshTokens).values({ sessionId, tokenHash });
}

/** The token row and its session, the token row locked (a rotation happens once). */
export async function refreshTokenForUpdate(db: Db, tokenHash: string) {
  const rows = await db
    .select({ token: refreshTokens, session: sessions })
    .from(refreshTokens)
    .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
    .where(eq(refreshTokens.tokenHash, tokenHash))
    .for('update', { of: refreshTokens })
    .limit(1);
  return rows[0];
}

export async function markRotated(db: Db, tokenId: string): Promise<boolean> {
  const rows = await db
    .update(refreshTokens)
    .set({ rotatedAt: sql`now()` })
    .where(and(eq(refreshTokens.id, tokenId), isNull(refreshTokens.rotatedAt)))
    .returning({ id: refreshTokens.id });
  return rows.length === 1;
}

export async function touchSession(db: Db, sessionId: string, ip: string | null): Promise<void> {
  await db
    .update(sessions)
    .set({ lastUsedAt: sql`now()`, ip })
    .where(eq(sessions.id, sessionId));
}

export async function revokeSession(
  db: Db,
  sessionId: string,
  reason: string,
  userId?: string,
): Promise<boolean> {
  const rows = await db
    .update(sessions)
    .set({ revokedAt: sql`now()`, revokedReason: reason })
    .where(
      and(
        eq(sessions.id, sessionId),
        isNull(sessions.revokedAt),
        userId ? eq(sessions.userId, userId) : undefined,
      ),
    )
    .returning({ id: sessions.id });
  return rows.length === 1;
}

export async function revokeUserSessions(
  db: Db,
  userId: string,
  reason: string,
  exceptSessionId?: string,
): Promise<number> {
  const rows = await db
    .update(sessions)
    .set({ revokedAt: sql`now()`, revokedReason: reason })
    .where(
      and(
        eq(sessions.userId, userId),
        isNull(sessions.revokedAt),
        exceptSessionId ? ne(sessions.id, exceptSessionId) : undefined,
      ),
    )
    .returning({ id: sessions.id });
  return rows.length;
}

/** Of these sessions, those neither revoked nor expired (one query for many open streams). */
export async function liveSessionIds(db: Db, ids: readonly string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .select({ id: sessions.id })
    .from(sessions)
    .where(
      and(inArray(sessions.id, [...ids]), isNull(sessions.revokedAt), gt(sessions.expiresAt, sql`now()`)),
    );
  return rows.map((row) => row.id);
}

/** Of these users, the active (not suspended) ones. */
export async function activeUserIds(db: Db, ids: readonly string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .select({ id: users.id })
    .from(users)
    .where(and(inArray(users.id, [...ids]), eq(users.status, 'active')));
  return rows.map((row) => row.id);
}

/**
 * The live sessions and their users among `sessionIds`, for authenticating requests: every request
 * with an access token or session cookie reads this, batched across requests (createSessions).
 * `accounts_live_sessions` (migration 0017) is prepared once per database handle and planned once
 * per connection.
 */
const liveSessionsQuery = preparedPer((db: Db) =>
  db
    .select({
      session: sql<Record<string, unknown> | string>`live.session`,
      account: sql<Record<string, unknown> | string>`live.account`,
    })
    .from(sql`accounts_live_sessions(${sql.placeholder('sessionIds')}::uuid[]) as live`)
    .prepare(statementName(db, 'accounts_live_sessions')),
);

export interface SessionClaim {
  sessionId: string;
  userId: string;
}

/** For each (session, user) asked about: the session and its user if live and theirs, else undefined. */
export async function liveSessionsWithUsers(db: Db, claims: readonly SessionClaim[]) {
  const rows = (await liveSessionsQuery(db).execute({ sessionIds: claims.map((c) => c.sessionId) })).map(
    (row) => ({
      session: rowFromJson(sessions, jsonOf(row.session)),
      user: rowFromJson(users, jsonOf(row.account)),
    }),
  );
  const byId = new Map(rows.map((row) => [row.session.id, row]));
  return claims.map((claim) => {
    const row = byId.get(claim.sessionId);
    return row?.session.userId === claim.userId ? row : undefined;
  });
}

export async function sessionById(db: Db, sessionId: string): Promise<SessionRow | undefined> {
  const rows = await db.select().from(sessions).where(eq(sessions.id, sessionId)).limit(1);
  return rows[0];
}

export async function liveSessionsOf(db: Db, userId: string): Promise<SessionRow[]> {
  return db
    .select()
    .from(sessions)
    .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt), gt(sessions.expiresAt, sql`now()`)))
    .orderBy(desc(sessions.lastUsedAt))
    .limit(100);
}

// E-mail tokens.

export async function insertEmailToken(
  db: Db,
  values: { userId: string; purpose: EmailTokenPurpose; tokenHash: string; expiresAt: Date },
): Promise<void> {
  // A new token of a purpose replaces the older ones.
  await db
    .update(emailTokens)
    .set({ usedAt: sql`now()` })
    .where(
      and(
        eq(emailTokens.userId, values.userId),
        eq(emailTokens.purpose, values.purpose),
        isNull(emailTokens.usedAt),
      ),
    );
  await db.insert(emailTokens).values(values);
}

export async function liveEmailToken(db: Db, purpose: EmailTokenPurpose, tokenHash: string) {
  const rows = await db
    .select()
    .from(emailTokens)
    .where(
      and(
        eq(emailTokens.tokenHash, tokenHash),
        eq(emailTokens.purpose, purpose),
        isNull(emailTokens.usedAt),
        gt(emailTokens.expiresAt, sql`now()`),
      ),
    )
    .limit(1);
  return rows[0];
}

/** Uses a token exactly once: the conditional update is what makes it single-use. */
export async function consumeEmailToken(
  db: Db,
  purpose: EmailTokenPurpose,
  tokenHash: string,
): Promise<string | undefined> {
  const rows = await db
    .update(emailTokens)
    .set({ usedAt: sql`now()` })
    .where(
      and(
        eq(emailTokens.tokenHash, tokenHash),
        eq(emailTokens.purpose, purpose),
        isNull(emailTokens.usedAt),
        gt(emailTokens.expiresAt, sql`now()`),
      ),
    )
    .returning({ userId: emailTokens.userId });
  return rows[0]?.userId;
}

// Pruning (the daily accounts job). Each delete works in batches so no run holds long locks.

const PRUNE_BATCH = 1_000;

async function deleteInBatches(deleteBatch: () => Promise<number>): Promise<number> {
  let total = 0;
  for (;;) {
    const deleted = await deleteBatch();
    total += deleted;
    if (deleted < PRUNE_BATCH) return total;
  }
}

const olderThan = (seconds: number) => sql`now() - make_interval(secs => ${seconds})`;

/** Sessions expired or revoked more than `graceSeconds` ago; their refresh tokens go with them (cascade). */
export function deleteEndedSessions(db: Db, graceSeconds: number): Promise<number> {
  return deleteInBatches(async () => {
    const batch = db
      .select({ id: sessions.id })
      .from(sessions)
      .where(
        or(lt(sessions.expiresAt, olderThan(graceSeconds)), lt(sessions.revokedAt, olderThan(graceSeconds))),
      )
      .limit(PRUNE_BATCH);
    const rows = await db.delete(sessions).where(inArray(sessions.id, batch)).returning({ id: sessions.id });
    return rows.length;
  });
}

/** E-mail tokens used or expired more than `graceSeconds` ago. */
export function deleteSpentEmailTokens(db: Db, graceSeconds: number): Promise<number> {
  return deleteInBatches(async () => {
    const batch = db
      .select({ id: emailTokens.id })
      .from(emailTokens)
      .where(
        or(
          lt(emailTokens.usedAt, olderThan(graceSeconds)),
          lt(emailTokens.expiresAt, olderThan(graceSeconds)),
        ),
      )
      .limit(PRUNE_BATCH);
    const rows = await db
      .delete(emailTokens)
      .where(inArray(emailTokens.id, batch))
      .returning({ id: emailTokens.id });
    return rows.length;
  });
}

/**
 * Records a solved captcha challenge as used; false when it already was (a replay). Expired rows
 * go first: their challenges can no longer be presented.
 */
export async function claimCaptcha(db: Db, challengeId: string, expiresAt: Date): Promise<boolean> {
  await db.delete(captchaUses).where(lt(captchaUses.expiresAt, sql`now()`));
  const rows = await db
    .insert(captchaUses)
    .values({ challengeId, expiresAt })
    .onConflictDoNothing()
    .returning({ id: captchaUses.challengeId });
  return rows.length === 1;
}

/** Replay-protection rows of captcha challenges that have expired (they can no longer be replayed). */
export function deleteExpiredCaptchaUses(db: Db): Promise<number> {
  return deleteInBatches(async () => {
    const batch = db
      .select({ id: captchaUses.challengeId })
      .from(captchaUses)
      .where(lt(captchaUses.expiresAt, sql`now()`))
      .limit(PRUNE_BATCH);
    const rows = await db
      .delete(captchaUses)
      .where(inArray(captchaUses.challengeId, batch))
      .returning({ id: captchaUses.challengeId });
    return rows.length;
  });
}

/** Failure counts whose last failure is outside the window (they would restart at 1 anyway). */
export function deleteStaleLoginFailures(db: Db, windowSeconds: number): Promise<number> {
  return deleteInBatches(async () => {
    const batch = db
      .select({ subject: loginFailures.subject })
      .from(loginFailures)
      .where(lt(loginFailures.lastFailureAt, olderThan(windowSeconds)))
      .limit(PRUNE_BATCH);
    const rows = await db
      .delete(loginFailures)
      .where(inArray(loginFailures.subject, batch))
      .returning({ subject: loginFailures.subject });
    return rows.length;
  });
}
