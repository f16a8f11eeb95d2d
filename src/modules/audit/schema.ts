import { index, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/** What an entry is about; a module that audits a new kind of thing adds it here. */
export const AUDIT_SUBJECT_TYPES = [
  'user',
  'session',
  'email',
  'ip',
  'api_key',
  'topup',
  'pricing',
  'tier',
  'webhook_endpoint',
  'subscription',
  'provider_routing',
] as const;
export type AuditSubjectType = (typeof AUDIT_SUBJECT_TYPES)[number];

/** Security-relevant and administrative actions; append-only, never holds secrets. */
export const auditLog = pgTable(
  'audit_log',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
    actorId: uuid('actor_id'),
    action: text('action').notNull(),
    subjectType: text('subject_type', { enum: AUDIT_SUBJECT_TYPES }),
    subjectId: text('subject_id'),
    ip: text('ip'),
    details: jsonb('details').$type<Record<string, unknown>>().notNull().default({}),
  },
  (t) => [
    index('audit_log_at_idx').on(t.at),
    index('audit_log_actor_idx').on(t.actorId, t.at),
    index('audit_log_subject_idx').on(t.subjectType, t.subjectId),
  ],
);
