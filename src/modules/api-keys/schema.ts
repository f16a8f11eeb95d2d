import { index, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { users } from '../accounts/schema.js';
import type { ApiKeyScope } from './domain.js';

/**
 * API keys: the secret is shown once; only its SHA-256 and a visible prefix are kept. A rotation
 * keeps the replaced secret's hash until `previous_key_expires_at`, so callers can switch over.
 */
export const apiKeys = pgTable(
  'api_keys',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    prefix: text('prefix').notNull(),
    keyHash: text('key_hash').notNull(),
    /** The secret a rotation replaced; accepted until `previousKeyExpiresAt`, refused after. */
    previousKeyHash: text('previous_key_hash'),
    previousPrefix: text('previous_prefix'),
    previousKeyExpiresAt: timestamp('previous_key_expires_at', { withTimezone: true }),
    scopes: text('scopes').array().$type<ApiKeyScope[]>().notNull(),
    allowedCidrs: text('allowed_cidrs').array(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('api_keys_hash_unique').on(t.keyHash),
    uniqueIndex('api_keys_previous_hash_unique').on(t.previousKeyHash),
    index('api_keys_user_idx').on(t.userId, t.createdAt),
  ],
);
