import { and, desc, eq, lt, sql } from 'drizzle-orm';
import type { Db } from '../../platform/db/database.js';
import { auditLog } from './schema.js';

export type AuditRow = typeof auditLog.$inferSelect;
export type NewAuditRow = typeof auditLog.$inferInsert;

export async function insertAuditEntry(db: Db, row: NewAuditRow): Promise<void> {
  await db.insert(auditLog).values(row);
}

export interface AuditFilter {
  actorId?: string;
  action?: string;
  subjectId?: string;
  before?: Date;
  /** The last entry of the previous page: entries strictly older (ties broken by id). */
  after?: { at: Date; id: string };
  limit: number;
}

/** Newest first, keyset-paginated by (time to the millisecond a Date holds, id). */
export function auditEntries(db: Db, filter: AuditFilter): Promise<AuditRow[]> {
  const atMs = sql`date_trunc('milliseconds', ${auditLog.at})`;
  const conditions = [
    filter.actorId ? eq(auditLog.actorId, filter.actorId) : undefined,
    filter.action ? eq(auditLog.action, filter.action) : undefined,
    filter.subjectId ? eq(auditLog.subjectId, filter.subjectId) : undefined,
    filter.before ? lt(auditLog.at, filter.before) : undefined,
    filter.after
      ? sql`(${atMs}, ${auditLog.id}) < (${filter.after.at.toISOString()}::timestamptz, ${filter.after.id}::uuid)`
      : undefined,
  ].filter((c) => c !== undefined);
  return db
    .select()
    .from(auditLog)
    .where(conditions.length ? and(...conditions) : undefined)
    .orderBy(desc(atMs), desc(auditLog.id))
    .limit(filter.limit);
}
