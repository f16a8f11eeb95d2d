import { type SQL, sql } from 'drizzle-orm';
import {
  type AnyPgColumn,
  bigint,
  boolean,
  check,
  index,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import type { Capability } from '../catalog/index.js';
import {
  CHARGE_CURRENCIES,
  OPEN_STATUSES,
  PROVIDERS,
  type ProviderName,
  RENEWALS,
  STATUSES,
  UPSTREAM_ACTIONS,
} from './domain.js';

/** `<values>` as an SQL list of string literals (the lists are our own constants, never input). */
const literals = (values: readonly string[]): SQL => sql.raw(values.map((v) => `'${v}'`).join(', '));

export interface VerificationOptions {
  areaCodes?: string[];
  carrier?: string;
}

/**
 * One purchased (or being purchased) number. Only the server moves `status`, always with a
 * conditional UPDATE (`… where status = <expected>`); the money side is the ledger hold, whose
 * resolution the ledger makes unique.
 */
export const verifications = pgTable(
  'verifications',
  {
    id: uuid('id').primaryKey(),
    /**
     * A short number for the order, given by the database on insert: the activation id of the
     * SMS-Activate-compatible API (its clients parse ids as integers).
     */
    serial: bigint('serial', { mode: 'number' }).notNull().generatedAlwaysAsIdentity({ startWith: 100_001 }),
    userId: uuid('user_id').notNull(),
    service: text('service').notNull(),
    country: text('country').notNull(),
    capability: text('capability').$type<Capability>().notNull(),
    options: jsonb('options').$type<VerificationOptions>().notNull().default({}),
    /** The quoted price in cents (what a USD purchase is charged). */
    priceCents: bigint('price_cents', { mode: 'number' }).notNull(),
    /** The amount held, in `currency` units (cents, or 1 free verification for CREDIT). */
    chargeAmount: bigint('charge_amount', { mode: 'number' }).notNull(),
    currency: text('currency', { enum: CHARGE_CURRENCIES }).notNull(),
    /** The provider's cost we accepted; sent to the provider as maxPrice. */
    providerCostCents: bigint('provider_cost_cents', { mode: 'number' }).notNull(),
    holdId: uuid('hold_id'),
    /** The upstream the number was bought from (or is being bought from); it serves the order for life. */
    provider: text('provider', { enum: PROVIDERS }).$type<ProviderName>().notNull().default('textverified'),
    /** The order's id at `provider`. */
    providerId: text('provider_id'),
    phoneNumber: text('phone_number'),
    status: text('status', { enum: STATUSES }).notNull(),
    code: text('code'),
    endsAt: timestamp('ends_at', { withTimezone: true }),
    failureCode: text('failure_code'),
    /** The upstream cancel/report still owed to the provider (retried by a job). */
    upstreamAction: text('upstream_action', { enum: UPSTREAM_ACTIONS }),
    upstreamAttempts: bigint('upstream_attempts', { mode: 'number' }).notNull().default(0),
    /**
     * The completed order whose number this one bought again (reuse or reactivation at the same
     * provider); a new order with its own hold and lifecycle. Null for an ordinary purchase.
     */
    reusedFrom: uuid('reused_from').references((): AnyPgColumn => verifications.id),
    renewal: text('renewal', { enum: RENEWALS }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    completedAt: timestamp('completed_at', { withTimezone: true }),
    /**
     * When the SMS poller last read the order's SMS list at its provider (successfully or not);
     * null until its first poll. It spaces the polls out by the provider's cadence (intake.ts).
     */
    polledAt: timestamp('polled_at', { withTimezone: true }),
  },
  (t) => [
    check('verifications_status_known', sql`${t.status} in (${literals(STATUSES)})`),
    check('verifications_currency_known', sql`${t.currency} in (${literals(CHARGE_CURRENCIES)})`),
    check(
      'verifications_upstream_action_known',
      sql`${t.upstreamAction} is null or ${t.upstreamAction} in (${literals(UPSTREAM_ACTIONS)})`,
    ),
    check('verifications_provider_known', sql`${t.provider} in (${literals(PROVIDERS)})`),
    check(
      'verifications_renewal_known',
      sql`(${t.reusedFrom} is null and ${t.renewal} is null) or (${t.reusedFrom} is not null and ${t.renewal} in (${literals(RENEWALS)}))`,
    ),
    uniqueIndex('verifications_provider_order_unique').on(t.provider, t.providerId),
    uniqueIndex('verifications_serial_unique').on(t.serial),
    index('verifications_reused_from_idx')
      .on(t.reusedFrom)
      .where(sql`${t.reusedFrom} is not null`),
    index('verifications_user_created_idx').on(t.userId, t.createdAt, t.id),
    // The open-order limit counts a user's open orders at each purchase: only those, not a history.
    index('verifications_user_open_idx')
      .on(t.userId)
      .where(sql`${t.status} in (${literals(OPEN_STATUSES)})`),
    // The delivery statistics read the last 7 days of every user's orders (see delivery-stats.ts).
    index('verifications_created_idx').on(t.createdAt),
    index('verifications_open_idx')
      .on(t.status, t.endsAt)
      .where(sql`${t.status} in (${literals(OPEN_STATUSES)})`),
    // The poller's query: active orders with a number, least recently polled (never polled) first.
    index('verifications_poll_idx')
      .on(t.polledAt.asc().nullsFirst(), t.createdAt)
      .where(sql`${t.status} = 'active' and ${t.providerId} is not null`),
    index('verifications_upstream_idx')
      .on(t.upstreamAction)
      .where(sql`${t.upstreamAction} is not null`),
  ],
);

/** Every SMS a number received, exactly once per provider message (`dedupe_key`). */
export const verificationMessages = pgTable(
  'verification_messages',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    verificationId: uuid('verification_id')
      .notNull()
      .references(() => verifications.id),
    dedupeKey: text('dedupe_key').notNull(),
    providerMessageId: text('provider_message_id'),
    sender: text('sender'),
    text: text('text'),
    code: text('code'),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull(),
    /** Arrived after the window closed (or after cancel): shown, never charged. */
    afterExpiry: boolean('after_expiry').notNull().default(false),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('verification_messages_dedupe_unique').on(t.dedupeKey),
    index('verification_messages_verification_idx').on(t.verificationId, t.receivedAt),
  ],
);
