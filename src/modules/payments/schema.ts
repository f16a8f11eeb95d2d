import { sql } from 'drizzle-orm';
import {
  bigint,
  check,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import {
  CHARGE_CURRENCIES,
  type ChargeCurrency,
  DISPUTE_STATUSES,
  type DisputeStatus,
  OPEN_REFUND_STATUSES,
  OPEN_STATUSES,
  REFUND_STATUSES,
  type RefundStatus,
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
    /**
     * USD cents Paystack has taken back since the credit (processed refunds, open or lost
     * disputes), net of what a won dispute gave back. Never more than the top-up (a CHECK).
     */
    reversedUsdCents: bigint('reversed_usd_cents', { mode: 'number' }).notNull().default(0),
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
    check(
      'payment_topups_reversed_within_amount',
      sql`${t.reversedUsdCents} >= 0 and ${t.reversedUsdCents} <= ${t.amountUsdCents}`,
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

/**
 * Refunds of credited top-ups through Paystack's refund API: asked for by an administrator, or
 * made in the Paystack dashboard (learnt from the webhook). A processed refund is taken back from
 * the wallet exactly once (unique Paystack id, unique ledger transaction). Status: see
 * `REFUND_STATUSES` in domain.ts.
 */
export const paymentRefunds = pgTable(
  'payment_refunds',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    seq: bigint('seq', { mode: 'number' }).notNull().generatedAlwaysAsIdentity(),
    topupId: uuid('topup_id')
      .notNull()
      .references(() => paymentTopups.id),
    userId: uuid('user_id').notNull(),
    /** Paystack's refund id; null until Paystack answered (or its webhook named it). */
    paystackRefundId: bigint('paystack_refund_id', { mode: 'number' }),
    status: text('status').$type<RefundStatus>().notNull().default('requested'),
    /** What the payer gets back, in minor units of the top-up's charge currency. */
    amountMinor: bigint('amount_minor', { mode: 'number' }).notNull(),
    currency: text('currency').$type<ChargeCurrency>().notNull(),
    /** What the wallet gives back, USD cents. */
    amountUsdCents: bigint('amount_usd_cents', { mode: 'number' }).notNull(),
    /** The administrator who asked for it, and why; null for a refund made at Paystack. */
    requestedBy: uuid('requested_by'),
    reason: text('reason'),
    /** Derived from the administrator's Idempotency-Key and the request: one refund per request. */
    requestKey: text('request_key'),
    /** Set when processed: what came out of the wallet and what became a receivable. */
    fromWalletCents: bigint('from_wallet_cents', { mode: 'number' }),
    receivableCents: bigint('receivable_cents', { mode: 'number' }),
    ledgerTransactionId: uuid('ledger_transaction_id'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    processedAt: timestamp('processed_at', { withTimezone: true }),
  },
  (t) => [
    check('payment_refunds_status_known', sql`${t.status} in (${sqlList(REFUND_STATUSES)})`),
    check('payment_refunds_amount_positive', sql`${t.amountMinor} > 0 and ${t.amountUsdCents} > 0`),
    check(
      'payment_refunds_taken_only_when_processed',
      sql`${t.ledgerTransactionId} is null or ${t.status} = 'processed'`,
    ),
    uniqueIndex('payment_refunds_paystack_unique')
      .on(t.paystackRefundId)
      .where(sql`${t.paystackRefundId} is not null`),
    uniqueIndex('payment_refunds_request_key_unique')
      .on(t.requestKey)
      .where(sql`${t.requestKey} is not null`),
    uniqueIndex('payment_refunds_ledger_transaction_unique').on(t.ledgerTransactionId),
    index('payment_refunds_topup_idx').on(t.topupId, t.seq),
    index('payment_refunds_user_idx').on(t.userId),
    index('payment_refunds_open_idx')
      .on(t.topupId)
      .where(sql`${t.status} in (${sqlList(OPEN_REFUND_STATUSES)})`),
  ],
);

/**
 * Chargebacks: the payer's bank disputes a credited top-up. Opening takes the disputed amount
 * back (once: unique open transaction); a won dispute gives it back, a lost one keeps it taken
 * (once: unique resolve transaction). Status: see `DISPUTE_STATUSES` in domain.ts.
 */
export const paymentDisputes = pgTable(
  'payment_disputes',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    seq: bigint('seq', { mode: 'number' }).notNull().generatedAlwaysAsIdentity(),
    topupId: uuid('topup_id')
      .notNull()
      .references(() => paymentTopups.id),
    userId: uuid('user_id').notNull(),
    paystackDisputeId: bigint('paystack_dispute_id', { mode: 'number' }).notNull(),
    status: text('status').$type<DisputeStatus>().notNull().default('open'),
    /** The disputed amount, minor units of the charge currency, and in wallet cents. */
    amountMinor: bigint('amount_minor', { mode: 'number' }).notNull(),
    currency: text('currency').$type<ChargeCurrency>().notNull(),
    amountUsdCents: bigint('amount_usd_cents', { mode: 'number' }).notNull(),
    /** What opening took back (≤ the amount: never more than is left of the top-up), and how. */
    takenCents: bigint('taken_cents', { mode: 'number' }).notNull().default(0),
    fromWalletCents: bigint('from_wallet_cents', { mode: 'number' }).notNull().default(0),
    receivableCents: bigint('receivable_cents', { mode: 'number' }).notNull().default(0),
    openTransactionId: uuid('open_transaction_id'),
    /** Paystack's resolution (`declined`, `merchant-accepted`) and what resolving gave back. */
    resolution: text('resolution'),
    returnedCents: bigint('returned_cents', { mode: 'number' }).notNull().default(0),
    receivableClearedCents: bigint('receivable_cleared_cents', { mode: 'number' }).notNull().default(0),
    resolveTransactionId: uuid('resolve_transaction_id'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    resolvedAt: timestamp('resolved_at', { withTimezone: true }),
  },
  (t) => [
    check('payment_disputes_status_known', sql`${t.status} in (${sqlList(DISPUTE_STATUSES)})`),
    check('payment_disputes_amount_positive', sql`${t.amountMinor} > 0 and ${t.amountUsdCents} > 0`),
    check(
      'payment_disputes_taken_consistent',
      sql`${t.takenCents} = ${t.fromWalletCents} + ${t.receivableCents} and ${t.takenCents} <= ${t.amountUsdCents}`,
    ),
    check(
      'payment_disputes_returned_within_taken',
      sql`${t.returnedCents} >= 0 and ${t.returnedCents} <= ${t.takenCents} and ${t.receivableClearedCents} <= ${t.receivableCents}`,
    ),
    uniqueIndex('payment_disputes_paystack_unique').on(t.paystackDisputeId),
    uniqueIndex('payment_disputes_open_transaction_unique').on(t.openTransactionId),
    uniqueIndex('payment_disputes_resolve_transaction_unique').on(t.resolveTransactionId),
    index('payment_disputes_topup_idx').on(t.topupId),
    index('payment_disputes_user_idx').on(t.userId),
  ],
);

/**
 * Paystack refunds and disputes to follow until they are final: written (durably) by the webhook
 * before it answers and by a refund request once Paystack names the refund; the reconciler asks
 * Paystack about every one not yet done, so a lost or unprocessed webhook is caught up.
 */
export const paymentFollowups = pgTable(
  'payment_followups',
  {
    kind: text('kind').$type<'refund' | 'dispute'>().notNull(),
    paystackId: bigint('paystack_id', { mode: 'number' }).notNull(),
    /** The top-up's reference. */
    reference: text('reference').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    checkedAt: timestamp('checked_at', { withTimezone: true }),
    doneAt: timestamp('done_at', { withTimezone: true }),
  },
  (t) => [
    primaryKey({ columns: [t.kind, t.paystackId] }),
    check('payment_followups_kind_known', sql`${t.kind} in ('refund', 'dispute')`),
    index('payment_followups_open_idx')
      .on(t.checkedAt)
      .where(sql`${t.doneAt} is null`),
  ],
);
