import { getTableName, sql } from 'drizzle-orm';
import type { SealedData } from '../../platform/db/reseal.js';
import {
  bigint,
  check,
  index,
  integer,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
// Type-only: drizzle-kit loads this file, and the tiers' index would pull their routes in with it.
import type { TierName } from '../tiers/index.js';
import { EMAIL_TOKEN_PURPOSES, USER_ROLES, USER_STATUSES } from './domain.js';

/** People who sign in. E-mail is stored lower-cased and unique regardless of case. */
export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    email: text('email').notNull(),
    /** argon2id PHC string; never leaves this module. */
    passwordHash: text('password_hash').notNull(),
    emailConfirmedAt: timestamp('email_confirmed_at', { withTimezone: true }),
    role: text('role', { enum: USER_ROLES }).notNull().default('user'),
    status: text('status', { enum: USER_STATUSES }).notNull().default('active'),
    tier: text('tier').$type<TierName>().notNull().default('freemium'),
    /** TOTP secret, AES-256-GCM encrypted with a key derived from APP_SECRET. */
    mfaSecret: text('mfa_secret'),
    /** A secret being set up, not yet confirmed with a first code. */
    mfaPendingSecret: text('mfa_pending_secret'),
    mfaEnabledAt: timestamp('mfa_enabled_at', { withTimezone: true }),
    /** The last accepted TOTP time step: a code is never accepted twice. */
    mfaLastTimeStep: bigint('mfa_last_time_step', { mode: 'number' }),
    lastLoginAt: timestamp('last_login_at', { withTimezone: true }),
    passwordChangedAt: timestamp('password_changed_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('users_email_unique').on(sql`lower(${t.email})`),
    check('users_role_known', sql`${t.role} in ('user', 'admin')`),
    check('users_status_known', sql`${t.status} in ('active', 'suspended')`),
  ],
);

/**
 * Failed sign-ins counted per subject: `email:<address>` (lower-cased, whether or not an account
 * exists, so the captcha requirement says nothing about which addresses are registered) and
 * `ip:<client address>` (across accounts, to flag a client that tries many of them).
 */
export const loginFailures = pgTable('login_failures', {
  subject: text('subject').primaryKey(),
  failures: integer('failures').notNull().default(0),
  lastFailureAt: timestamp('last_failure_at', { withTimezone: true }).notNull().defaultNow(),
});

/** A session is one refresh-token family: every rotation stays in it; reuse revokes it all. */
export const sessions = pgTable(
  'sessions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    userAgent: text('user_agent'),
    ip: text('ip'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    revokedReason: text('revoked_reason'),
  },
  (t) => [index('sessions_user_idx').on(t.userId, t.createdAt)],
);

/** Refresh tokens, stored only as SHA-256 hashes. `rotated_at` set = used once, never again. */
export const refreshTokens = pgTable(
  'refresh_tokens',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    sessionId: uuid('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    tokenHash: text('token_hash').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    rotatedAt: timestamp('rotated_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('refresh_tokens_hash_unique').on(t.tokenHash),
    index('refresh_tokens_session_idx').on(t.sessionId),
  ],
);

/** Single-use e-mail tokens (confirmation, password reset), stored hashed. */
export const emailTokens = pgTable(
  'email_tokens',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    purpose: text('purpose', { enum: EMAIL_TOKEN_PURPOSES }).notNull(),
    tokenHash: text('token_hash').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    usedAt: timestamp('used_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('email_tokens_hash_unique').on(t.tokenHash),
    index('email_tokens_user_idx').on(t.userId, t.purpose),
    check('email_tokens_purpose_known', sql`${t.purpose} in ('confirm_email', 'password_reset')`),
  ],
);

/** Captcha challenges already used (replay protection) when no Redis is configured. */
export const captchaUses = pgTable(
  'captcha_uses',
  {
    challengeId: text('challenge_id').primaryKey(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('captcha_uses_expires_idx').on(t.expiresAt)],
);

/** TOTP seeds, confirmed and being set up: sealed with APP_SECRET (re-sealed after a rotation). */
export const SEALED_MFA_SECRETS: SealedData = {
  purpose: 'totp-secret-encryption',
  columns: [users.mfaSecret, users.mfaPendingSecret].map((column) => ({
    table: getTableName(users),
    key: [users.id.name],
    column: column.name,
  })),
};
