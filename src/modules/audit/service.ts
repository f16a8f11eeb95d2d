import type { Db } from '../../platform/db/database.js';
import type { AuditSubjectType } from './schema.js';
import * as store from './store.js';

export interface AuditEvent {
  actorId?: string | null;
  action: string;
  subjectType?: AuditSubjectType | null;
  subjectId?: string | null;
  ip?: string | null;
  /** Facts about the event. Never a password, token, key or secret. */
  details?: Record<string, unknown>;
}

export type AuditEntry = store.AuditRow;

export interface AuditDeps {
  db: Db;
}

const SECRET_FIELD = /pass|token|secret|key|otp|captcha|cookie|authorization/i;

/** The audit log of security-relevant and administrative actions (append-only). */
export function createAuditService(deps: AuditDeps) {
  return {
    /**
     * Appends one entry in the caller's transaction (`tx`: the entry commits or rolls back with
     * the action it records); fields that look like secrets are dropped as a last line of defence.
     */
    async record(tx: Db, event: AuditEvent): Promise<void> {
      const details = Object.fromEntries(
        Object.entries(event.details ?? {}).filter(([field]) => !SECRET_FIELD.test(field)),
      );
      await store.insertAuditEntry(tx, {
        actorId: event.actorId ?? null,
        action: event.action,
        subjectType: event.subjectType ?? null,
        subjectId: event.subjectId ?? null,
        ip: event.ip ?? null,
        details,
      });
    },

    /** Newest first, filtered, keyset-paginated by (time, id) (for the admin audit log). */
    list(options: Partial<store.AuditFilter> = {}): Promise<AuditEntry[]> {
      return store.auditEntries(deps.db, { ...options, limit: Math.min(options.limit ?? 50, 200) });
    },
  };
}
export type AuditService = ReturnType<typeof createAuditService>;
