import { sql } from 'drizzle-orm';
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
import {
  CHARGE_CURRENCIES,
  type ChargeCurrency,
  OPEN_STATUSES,
  TOPUP_STATUSES,
  type TopupStatus,
} from './domain.js';

/** `'a', 'b'` for a CHECK constraint, from the one list the TypeScript type is derived from. */
const sqlList = (values: readonly string[]) => sql.raw(values.map((v) => `'${v}'`).join(', '));

/**
 * Wallet top-ups through Paystack. The amount credited to the wallet (USD cents) and what
 * Paystack charges (currency + minor units, with the exchange rate used) are fixed by the server
 * at initialize; nothing sent later (client metadata, webhook bodies) can change them.
 *
 * Status: see `TOPUP_STATUSES` in domain.ts.
 */
export const paymentTopups = pgTable(
  'payment_topups',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** Ordering and cursor key for lists. */
    seq: bigint('seq', { mode: 'number' }).notNull().generatedAlwaysAsIdentity(),
    /** Our Paystack reference (`nmk-tu-…`), sent at initialize; the exactly-once key. */
    reference: text('reference').notNull(),
    userId: uuid('user_id').notNull(),
    status: text('status').$type<TopupStatus>().notNull().default('initializing'),
    /** What the wallet receives, USD cents. */
    amountUsdCents: bigint('amount_usd_cents', { mode: 'number' }).notNull(),
    chargeCurrency: text('charge_currency').$type<ChargeCurrency>().notNull(),
    /** What Paystack charges, in minor units of `chargeCurrency` (kobo for NGN). */
    chargeAmountMinor: bigint('charge_amount_minor', { mode: 'number' }).notNull(),
    /** Whole NGN per USD used for an NGN charge; null for a USD charge. */
    ngnPerUsd: integer('ngn_per_usd'),
    /** The client's Idempotency-Key while the top-up is live (cleared when initialize fails). */
    requestKey: text('request_key'),
    authorizationUrl: text('authorization_url'),
    paystackAccessCode: text('paystack_access_code'),
    paystackTransactionId: bigint('paystack_transaction_id', { mode: 'number' }),
    /** What verify reported as paid, when it differs from the initialized charge (flagged). */
    paidAmountMinor: bigint('paid_amount_minor', { mode: 'number' }),
    paidCurrency: text('paid_currency'),
    failureReason: text('failure_reason'),
    ledgerTransactionId: uuid('ledger_transaction_id'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    initializedAt: timestamp('initialized_at', { withTimezone: true }),
    completedAt: timestamp('completed_at', { withTimezone: true }),
    lastVerifiedAt: timestamp('last_verified_at', { withTimezone: true }),
  },
  (t) => [
    check('payment_topups_status_known', sql`${t.status} in (${sqlList(TOPUP_STATUSES)})`),
    check('payment_topups_amount_positive', sql`${t.amountUsdCents} > 0 and ${t.chargeAmountMinor} > 0`),
    check('payment_topups_currency_known', sql`${t.chargeCurrency} in (${sqlList(CHARGE_CURRENCIES)})`),
    check(
      'payment_topups_rate_iff_ngn',
      sql`(${t.chargeCurrency} = 'NGN') = (${t.ngnPerUsd} is not null) and (${t.ngnPerUsd} is null or ${t.ngnPerUsd} > 0)`,
    ),
    check(
      'payment_topups_credited_iff_succeeded',
      sql`(${t.status} = 'succeeded') = (${t.ledgerTransactionId} is not null)`,
    ),
    uniqueIndex('payment_topups_reference_unique').on(t.reference),
    uniqueIndex('payment_topups_ledger_transaction_unique').on(t.ledgerTransactionId),
    uniqueIndex('payment_topups_request_key_unique')
      .on(t.userId, t.requestKey)
      .where(sql`${t.requestKey} is not null`),
    index('payment_topups_user_seq_idx').on(t.userId, t.seq),
    index('payment_topups_open_idx')
      .on(t.createdAt)
      .where(sql`${t.status} in (${sqlList(OPEN_STATUSES)})`),
  ],
);
