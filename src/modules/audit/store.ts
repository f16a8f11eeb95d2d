import { and, desc, eq, lt } from 'drizzle-orm';
import type { Db } from '../../platform/db/database.js';
import { auditLog } from './schema.js';

export type AuditRow = typeof auditLog.$inferSelect;
export type NewAuditRow = typeof auditLog.$inferInsert;

export async function insertAuditEntry(db: Db, row: NewAuditRow): Promise<void> {
  await db.insert(auditLog).values(row);
}

/** Newest first, keyset-paginated by time. */
export function auditEntries(
  db: Db,
  filter: { actorId?: string; before?: Date; limit: number },
): Promise<AuditRow[]> {
  const conditions = [
    filter.actorId ? eq(auditLog.actorId, filter.actorId) : undefined,
    filter.before ? lt(auditLog.at, filter.before) : undefined,
  ].filter((c) => c !== undefined);
  return db
    .select()
    .from(auditLog)
    .where(conditions.length ? and(...conditions) : undefined)
    .orderBy(desc(auditLog.at))
    .limit(filter.limit);
}
