import { sql } from 'drizzle-orm';
import {
  bigint,
  check,
  index,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import {
  ACCOUNT_KINDS,
  type AccountKind,
  HOLD_STATUSES,
  type HoldStatus,
  TRANSACTION_KINDS,
  type TransactionKind,
} from './domain.js';

/** `'a', 'b'` for a CHECK constraint, from the one list the TypeScript type is derived from. */
const sqlList = (values: readonly string[]) => sql.raw(values.map((v) => `'${v}'`).join(', '));

/**
 * Double-entry ledger, in TigerBeetle's words: accounts, transactions (a set of entries that
 * sum to zero per currency) and pending holds that are later posted (captured) or voided
 * (released). Entries and transactions are append-only; triggers in the migrations refuse
 * edits and refuse a transaction that does not balance.
 */
export const ledgerAccounts = pgTable(
  'ledger_accounts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    kind: text('kind').$type<AccountKind>().notNull(),
    ownerId: uuid('owner_id'),
    currency: text('currency').notNull().default('USD'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check('ledger_accounts_kind_known', sql`${t.kind} in (${sqlList(ACCOUNT_KINDS)})`),
    check('ledger_accounts_owner_iff_wallet', sql`(${t.kind} = 'wallet') = (${t.ownerId} is not null)`),
    uniqueIndex('ledger_accounts_wallet_unique')
      .on(t.ownerId, t.currency)
      .where(sql`${t.ownerId} is not null`),
    uniqueIndex('ledger_accounts_platform_unique')
      .on(t.kind, t.currency)
      .where(sql`${t.ownerId} is null`),
  ],
);

/** The cached balance of a user's wallet; the only hot row a purchase touches. */
export const wallets = pgTable(
  'wallets',
  {
    accountId: uuid('account_id')
      .primaryKey()
      .references(() => ledgerAccounts.id),
    ownerId: uuid('owner_id').notNull(),
    currency: text('currency').notNull(),
    balance: bigint('balance', { mode: 'number' }).notNull().default(0),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    /**
     * Set when money taken back from this wallet (a refund, a chargeback) could not all be taken
     * because it was already spent: the rest was recorded as a receivable. For administrators.
     */
    flaggedAt: timestamp('flagged_at', { withTimezone: true }),
    flagReason: text('flag_reason'),
  },
  (t) => [
    check('wallets_balance_not_negative', sql`${t.balance} >= 0`),
    check('wallets_flag_has_reason', sql`(${t.flaggedAt} is null) = (${t.flagReason} is null)`),
    uniqueIndex('wallets_owner_currency_unique').on(t.ownerId, t.currency),
  ],
);

export const ledgerTransactions = pgTable(
  'ledger_transactions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    kind: text('kind').$type<TransactionKind>().notNull(),
    /** Applying the same business event twice (a top-up reference, a hold) is refused here. */
    idempotencyKey: text('idempotency_key'),
    /** Set on the capture or release of a hold: a hold resolves exactly once. */
    resolvesHoldId: uuid('resolves_hold_id'),
    /** Set on a reversal: a transaction is reversed at most once. */
    reversesId: uuid('reverses_id'),
    memo: text('memo').notNull(),
    metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull().default({}),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check('ledger_transactions_kind_known', sql`${t.kind} in (${sqlList(TRANSACTION_KINDS)})`),
    uniqueIndex('ledger_transactions_idempotency_key_unique').on(t.idempotencyKey),
    uniqueIndex('ledger_transactions_resolves_hold_unique').on(t.resolvesHoldId),
    uniqueIndex('ledger_transactions_reverses_unique').on(t.reversesId),
  ],
);

export const ledgerEntries = pgTable(
  'ledger_entries',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    transactionId: uuid('transaction_id')
      .notNull()
      .references(() => ledgerTransactions.id),
    accountId: uuid('account_id')
      .notNull()
      .references(() => ledgerAccounts.id),
    currency: text('currency').notNull(),
    /** Signed minor units added to the account's balance. */
    amount: bigint('amount', { mode: 'number' }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check('ledger_entries_amount_not_zero', sql`${t.amount} <> 0`),
    index('ledger_entries_account_idx').on(t.accountId, t.id),
    index('ledger_entries_transaction_idx').on(t.transactionId),
  ],
);

export const ledgerHolds = pgTable(
  'ledger_holds',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    walletAccountId: uuid('wallet_account_id')
      .notNull()
      .references(() => ledgerAccounts.id),
    ownerId: uuid('owner_id').notNull(),
    currency: text('currency').notNull(),
    amount: bigint('amount', { mode: 'number' }).notNull(),
    status: text('status').$type<HoldStatus>().notNull().default('pending'),
    /** What the hold pays for, e.g. `verification:<id>`; one hold per thing. */
    reference: text('reference').notNull(),
    holdTransactionId: uuid('hold_transaction_id')
      .notNull()
      .references(() => ledgerTransactions.id),
    resolutionTransactionId: uuid('resolution_transaction_id').references(() => ledgerTransactions.id),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    resolvedAt: timestamp('resolved_at', { withTimezone: true }),
  },
  (t) => [
    check('ledger_holds_amount_positive', sql`${t.amount} > 0`),
    check('ledger_holds_status_known', sql`${t.status} in (${sqlList(HOLD_STATUSES)})`),
    check(
      'ledger_holds_resolution_consistent',
      sql`(${t.status} = 'pending') = (${t.resolutionTransactionId} is null)`,
    ),
    uniqueIndex('ledger_holds_reference_unique').on(t.reference),
    index('ledger_holds_pending_owner_idx')
      .on(t.ownerId)
      .where(sql`${t.status} = 'pending'`),
  ],
);
