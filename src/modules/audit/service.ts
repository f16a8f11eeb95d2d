import { and, desc, eq, lt } from 'drizzle-orm';
import type { Db } from '../../platform/db/database.js';
import { auditLog } from './schema.js';

export interface AuditEvent {
  actorId?: string | null;
  action: string;
  subjectType?: string | null;
  subjectId?: string | null;
  ip?: string | null;
  /** Facts about the event. Never a password, token, key or secret. */
  details?: Record<string, unknown>;
}

const SECRET_FIELD = /pass|token|secret|key|otp|captcha|cookie|authorization/i;

/** Appends one audit entry; keys that look like secrets are dropped as a last line of defence. */
export async function recordAudit(db: Db, event: AuditEvent): Promise<void> {
  const details = Object.fromEntries(
    Object.entries(event.details ?? {}).filter(([field]) => !SECRET_FIELD.test(field)),
  );
  await db.insert(auditLog).values({
    actorId: event.actorId ?? null,
    action: event.action,
    subjectType: event.subjectType ?? null,
    subjectId: event.subjectId ?? null,
    ip: event.ip ?? null,
    details,
  });
}

export type AuditEntry = typeof auditLog.$inferSelect;

/** Newest first, keyset-paginated by time (for the admin audit log). */
export async function listAudit(
  db: Db,
  options: { actorId?: string; before?: Date; limit?: number } = {},
): Promise<AuditEntry[]> {
  const conditions = [
    options.actorId ? eq(auditLog.actorId, options.actorId) : undefined,
    options.before ? lt(auditLog.at, options.before) : undefined,
  ].filter((c) => c !== undefined);
  return db
    .select()
    .from(auditLog)
    .where(conditions.length ? and(...conditions) : undefined)
    .orderBy(desc(auditLog.at))
    .limit(Math.min(options.limit ?? 50, 200));
}
