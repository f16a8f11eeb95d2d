import { getTableName, sql } from 'drizzle-orm';
import type { SealedData } from '../../platform/db/reseal.js';
import { check, index, integer, jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

/** An in-flight key is held by a running request; a completed one replays its stored answer. */
export const KEY_STATUSES = ['in_flight', 'completed'] as const;
export type KeyStatus = (typeof KEY_STATUSES)[number];

/** Stripe-style idempotency keys: one row per (principal, key), kept for 24 hours. */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    principal: text('principal').notNull(),
    key: text('key').notNull(),
    fingerprint: text('fingerprint').notNull(),
    status: text('status').$type<KeyStatus>().notNull().default('in_flight'),
    responseStatus: integer('response_status'),
    responseBody: text('response_body'),
    responseHeaders: jsonb('response_headers').$type<Record<string, string>>(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    /** An in-flight key whose lease ran out belongs to a crashed request and may be taken over. */
    leaseExpiresAt: timestamp('lease_expires_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.principal, t.key] }),
    check(
      'idempotency_keys_status_known',
      sql`${t.status} in (${sql.raw(KEY_STATUSES.map((s) => `'${s}'`).join(', '))})`,
    ),
    index('idempotency_keys_created_idx').on(t.createdAt),
  ],
);

/**
 * The stored answers of `idempotent: 'sealed'` routes (a new API key's secret). Other answers are
 * plain JSON, which never starts with a seal's `v1.`.
 */
export const SEALED_RESPONSES: SealedData = {
  purpose: 'idempotent-responses',
  columns: [
    {
      table: getTableName(idempotencyKeys),
      key: [idempotencyKeys.principal.name, idempotencyKeys.key.name],
      column: idempotencyKeys.responseBody.name,
      where: `${idempotencyKeys.responseBody.name} like 'v1.%'`,
    },
  ],
};
