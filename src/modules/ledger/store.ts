import { type SQL, and, eq, gte, inArray, isNotNull, isNull, or, sql } from 'drizzle-orm';
import type { Db } from '../../platform/db/database.js';
import { rawRows } from '../../platform/db/raw.js';
import {
  type AccountRef,
  type PlatformAccount,
  type TransactionKind,
  accountKey,
  accountRefOf,
} from './domain.js';
import { ledgerAccounts, ledgerEntries, ledgerHolds, ledgerTransactions, wallets } from './schema.js';

/** The ledger's tables and queries; no other module touches them. */

export type HoldRow = typeof ledgerHolds.$inferSelect;

export async function ensureWallet(db: Db, ownerId: string, currency: string): Promise<string> {
  await db
    .insert(ledgerAccounts)
    .values({ kind: 'wallet', ownerId, currency })
    .onConflictDoNothing({
      target: [ledgerAccounts.ownerId, ledgerAccounts.currency],
      where: sql`${ledgerAccounts.ownerId} is not null`,
    });
  const [account] = await db
    .select({ id: ledgerAccounts.id })
    .from(ledgerAccounts)
    .where(and(eq(ledgerAccounts.ownerId, ownerId), eq(ledgerAccounts.currency, currency)));
  if (!account) throw new Error('wallet account vanished after creation');
  await db.insert(wallets).values({ accountId: account.id, ownerId, currency }).onConflictDoNothing();
  return account.id;
}

/** Inserts the transaction header; `undefined` when its idempotency key (or hold/reversal) was used. */
export async function insertTransaction(
  db: Db,
  values: {
    kind: TransactionKind;
    memo: string;
    idempotencyKey?: string | undefined;
    resolvesHoldId?: string | undefined;
    reversesId?: string | undefined;
    metadata?: Record<string, unknown> | undefined;
  },
): Promise<string | undefined> {
  const [row] = await db
    .insert(ledgerTransactions)
    .values({ ...values, metadata: values.metadata ?? {} })
    .onConflictDoNothing()
    .returning({ id: ledgerTransactions.id });
  return row?.id;
}

export async function findTransactionByKey(db: Db, idempotencyKey: string) {
  const [row] = await db
    .select()
    .from(ledgerTransactions)
    .where(eq(ledgerTransactions.idempotencyKey, idempotencyKey));
  return row;
}

export async function findTransaction(db: Db, id: string) {
  const [row] = await db.select().from(ledgerTransactions).where(eq(ledgerTransactions.id, id));
  return row;
}

/** Conditional debit: no row comes back when the wallet is missing or too low. */
export async function debitWallet(db: Db, ownerId: string, currency: string, amount: number) {
  const [row] = await db
    .update(wallets)
    .set({ balance: sql`${wallets.balance} - ${amount}`, updatedAt: sql`now()` })
    .where(and(eq(wallets.ownerId, ownerId), eq(wallets.currency, currency), gte(wallets.balance, amount)))
    .returning({ accountId: wallets.accountId, balance: wallets.balance });
  return row;
}

/** The wallet's balance with its row locked for the rest of the transaction (0 when there is none). */
export async function lockWalletBalance(db: Db, ownerId: string, currency: string): Promise<number> {
  const [row] = await db
    .select({ balance: wallets.balance })
    .from(wallets)
    .where(and(eq(wallets.ownerId, ownerId), eq(wallets.currency, currency)))
    .for('update');
  return row?.balance ?? 0;
}

export async function creditWallet(db: Db, ownerId: string, currency: string, amount: number) {
  const [row] = await db
    .update(wallets)
    .set({ balance: sql`${wallets.balance} + ${amount}`, updatedAt: sql`now()` })
    .where(and(eq(wallets.ownerId, ownerId), eq(wallets.currency, currency)))
    .returning({ accountId: wallets.accountId, balance: wallets.balance });
  return row;
}

export async function platformAccountId(db: Db, kind: PlatformAccount, currency: string): Promise<string> {
  const [row] = await db
    .select({ id: ledgerAccounts.id })
    .from(ledgerAccounts)
    .where(
      and(
        eq(ledgerAccounts.kind, kind),
        eq(ledgerAccounts.currency, currency),
        isNull(ledgerAccounts.ownerId),
      ),
    );
  if (row) return row.id;
  await db.insert(ledgerAccounts).values({ kind, currency }).onConflictDoNothing();
  return platformAccountId(db, kind, currency);
}

export async function insertEntries(
  db: Db,
  transactionId: string,
  currency: string,
  entries: { accountId: string; amount: number }[],
): Promise<void> {
  await db.insert(ledgerEntries).values(entries.map((e) => ({ ...e, transactionId, currency })));
}

export async function entriesOf(db: Db, transactionId: string) {
  return db
    .select({
      accountId: ledgerEntries.accountId,
      amount: ledgerEntries.amount,
      currency: ledgerEntries.currency,
      kind: ledgerAccounts.kind,
      ownerId: ledgerAccounts.ownerId,
    })
    .from(ledgerEntries)
    .innerJoin(ledgerAccounts, eq(ledgerAccounts.id, ledgerEntries.accountId))
    .where(eq(ledgerEntries.transactionId, transactionId));
}

/** A `ledger_holds` row as `to_jsonb` writes it (snake_case, timestamps as text). */
interface HoldJson {
  id: string;
  wallet_account_id: string;
  owner_id: string;
  currency: string;
  amount: number | string;
  status: HoldRow['status'];
  reference: string;
  hold_transaction_id: string;
  resolution_transaction_id: string | null;
  created_at: string;
  resolved_at: string | null;
}

const holdOf = (json: HoldJson): HoldRow => ({
  id: json.id,
  walletAccountId: json.wallet_account_id,
  ownerId: json.owner_id,
  currency: json.currency,
  amount: Number(json.amount),
  status: json.status,
  reference: json.reference,
  holdTransactionId: json.hold_transaction_id,
  resolutionTransactionId: json.resolution_transaction_id,
  createdAt: new Date(json.created_at),
  resolvedAt: json.resolved_at === null ? null : new Date(json.resolved_at),
});

async function callLedgerFunction(db: Db, query: SQL): Promise<{ outcome: string; hold?: HoldJson }> {
  const [row] = await rawRows<{ answer: { outcome: string; hold?: HoldJson } | string }>(db, query);
  if (!row) throw new Error('ledger function answered nothing');
  // PGlite and pg both parse jsonb; a driver that does not hands back its text.
  return typeof row.answer === 'string' ? JSON.parse(row.answer) : row.answer;
}

export type HoldAnswer =
  { outcome: 'created' | 'duplicate'; hold: HoldRow } | { outcome: 'insufficient_funds' };

/** Wallet → escrow in one round trip (`ledger_hold`, migration 0010); nothing written when refused. */
export async function holdFunds(
  db: Db,
  input: { ownerId: string; currency: string; amount: number; reference: string; memo: string },
): Promise<HoldAnswer> {
  const answer = await callLedgerFunction(
    db,
    sql`select ledger_hold(${input.ownerId}::uuid, ${input.currency}, ${input.amount}::bigint, ${input.reference}, ${input.memo}) as answer`,
  );
  if (answer.outcome === 'insufficient_funds') return { outcome: 'insufficient_funds' };
  if ((answer.outcome === 'created' || answer.outcome === 'duplicate') && answer.hold) {
    return { outcome: answer.outcome, hold: holdOf(answer.hold) };
  }
  throw new Error(`ledger_hold answered ${answer.outcome}`);
}

export type ResolveAnswer =
  { outcome: 'resolved' | 'already_resolved'; hold: HoldRow } | { outcome: 'not_found' };

/** Escrow → revenue or back to the wallet, in one round trip (`ledger_resolve_hold`). */
export async function resolveHold(
  db: Db,
  holdId: string,
  status: 'posted' | 'voided',
  memo: string,
): Promise<ResolveAnswer> {
  const answer = await callLedgerFunction(
    db,
    sql`select ledger_resolve_hold(${holdId}::uuid, ${status}, ${memo}) as answer`,
  );
  if (answer.outcome === 'not_found') return { outcome: 'not_found' };
  if ((answer.outcome === 'resolved' || answer.outcome === 'already_resolved') && answer.hold) {
    return { outcome: answer.outcome, hold: holdOf(answer.hold) };
  }
  throw new Error(`ledger_resolve_hold answered ${answer.outcome}`);
}

export interface WalletSummary {
  balance: number;
  held: number;
}

/**
 * An owner's balance and pending holds in each of `currencies`, in one statement: one round trip,
 * and one snapshot, so a balance is never shown beside the holds of another moment. A wallet not
 * made yet reads as 0.
 */
export async function walletSummaries(
  db: Db,
  ownerId: string,
  currencies: readonly string[],
): Promise<Map<string, WalletSummary>> {
  const asked = sql.join(
    currencies.map((currency) => sql`(${currency})`),
    sql`, `,
  );
  const rows = await rawRows<{ currency: string; balance: string; held: string }>(
    db,
    sql`select asked.currency,
      coalesce((select ${wallets.balance} from ${wallets}
        where ${wallets.ownerId} = ${ownerId} and ${wallets.currency} = asked.currency), 0)::text as balance,
      coalesce((select sum(${ledgerHolds.amount}) from ${ledgerHolds}
        where ${ledgerHolds.ownerId} = ${ownerId} and ${ledgerHolds.currency} = asked.currency
          and ${ledgerHolds.status} = 'pending'), 0)::text as held
    from (values ${asked}) as asked (currency)`,
  );
  return new Map(rows.map((row) => [row.currency, { balance: Number(row.balance), held: Number(row.held) }]));
}

export async function walletSummary(db: Db, ownerId: string, currency: string): Promise<WalletSummary> {
  return (await walletSummaries(db, ownerId, [currency])).get(currency)!;
}

/** Account ids for the named accounts in one query, keyed by `accountKey`. */
export async function accountIds(db: Db, refs: AccountRef[], currency: string): Promise<Map<string, string>> {
  const owners = refs.flatMap((r) => ('wallet' in r ? [r.wallet] : []));
  const platforms = refs.flatMap((r) => ('platform' in r ? [r.platform] : []));
  const conditions = [
    ...(owners.length > 0 ? [inArray(ledgerAccounts.ownerId, owners)] : []),
    ...(platforms.length > 0
      ? [and(isNull(ledgerAccounts.ownerId), inArray(ledgerAccounts.kind, platforms))]
      : []),
  ];
  const rows = await db
    .select({ id: ledgerAccounts.id, kind: ledgerAccounts.kind, ownerId: ledgerAccounts.ownerId })
    .from(ledgerAccounts)
    .where(and(eq(ledgerAccounts.currency, currency), or(...conditions)));
  return new Map(rows.map((row) => [accountKey(accountRefOf(row)), row.id]));
}

export interface StatementRow {
  /** Position of the line in the wallet's history; also the pagination cursor. */
  seq: number;
  transactionId: string;
  kind: string;
  memo: string;
  metadata: Record<string, unknown>;
  /** Signed minor units this line moved in the wallet (0 for a capture: the hold already took it). */
  amount: number;
  /** The wallet balance right after this line. */
  balanceAfter: number;
  createdAt: Date;
}

/**
 * Every entry of one wallet, newest first, with the running balance (a window sum in entry order),
 * plus a zero-amount line for each capture of the wallet's holds so the statement shows that a hold
 * was charged. `cursor` is the `seq` of the last line of the previous page.
 */
export async function walletStatement(
  db: Db,
  ownerId: string,
  currency: string,
  page: { cursor: number | undefined; limit: number },
): Promise<StatementRow[]> {
  const rows = await rawRows<{
    seq: string;
    transaction_id: string;
    kind: string;
    memo: string;
    metadata: Record<string, unknown> | string | null;
    amount: string;
    balance_after: string;
    created_at: string;
  }>(
    db,
    sql`with account as (
          select id from ledger_accounts where owner_id = ${ownerId} and currency = ${currency}
        ), lines as (
          select e.id as seq, e.transaction_id, e.amount, e.created_at
            from ledger_entries e where e.account_id = (select id from account)
          union all
          select (select min(c.id) from ledger_entries c where c.transaction_id = h.resolution_transaction_id),
                 h.resolution_transaction_id, 0::bigint, h.resolved_at
            from ledger_holds h
           where h.wallet_account_id = (select id from account) and h.status = 'posted'
        ), numbered as (
          select l.*, sum(l.amount) over (order by l.seq) as balance_after from lines l
        )
        select n.seq::text as seq, n.transaction_id::text as transaction_id, t.kind, t.memo, t.metadata,
               n.amount::text as amount, n.balance_after::text as balance_after,
               to_char(n.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as created_at
          from numbered n join ledger_transactions t on t.id = n.transaction_id
         where ${page.cursor === undefined ? sql`true` : sql`n.seq < ${page.cursor}`}
         order by n.seq desc
         limit ${page.limit}`,
  );
  return rows.map((row) => ({
    seq: Number(row.seq),
    transactionId: row.transaction_id,
    kind: row.kind,
    memo: row.memo,
    metadata:
      typeof row.metadata === 'string'
        ? (JSON.parse(row.metadata) as Record<string, unknown>)
        : (row.metadata ?? {}),
    amount: Number(row.amount),
    balanceAfter: Number(row.balance_after),
    createdAt: new Date(row.created_at),
  }));
}

/** Flags the owner's wallet (the first flag's time is kept); false when it was already flagged. */
export async function flagWallet(
  db: Db,
  ownerId: string,
  currency: string,
  reason: string,
): Promise<boolean> {
  await ensureWallet(db, ownerId, currency);
  const [row] = await db
    .update(wallets)
    .set({ flaggedAt: sql`now()`, flagReason: reason })
    .where(and(eq(wallets.ownerId, ownerId), eq(wallets.currency, currency), isNull(wallets.flaggedAt)))
    .returning({ accountId: wallets.accountId });
  return row !== undefined;
}

/** Clears the flag; false when the wallet was not flagged. */
export async function clearWalletFlag(db: Db, ownerId: string, currency: string): Promise<boolean> {
  const [row] = await db
    .update(wallets)
    .set({ flaggedAt: null, flagReason: null })
    .where(and(eq(wallets.ownerId, ownerId), eq(wallets.currency, currency), isNotNull(wallets.flaggedAt)))
    .returning({ accountId: wallets.accountId });
  return row !== undefined;
}

export async function walletFlag(db: Db, ownerId: string, currency: string) {
  const [row] = await db
    .select({ flaggedAt: wallets.flaggedAt, reason: wallets.flagReason })
    .from(wallets)
    .where(and(eq(wallets.ownerId, ownerId), eq(wallets.currency, currency)));
  return row?.flaggedAt && row.reason ? { flaggedAt: row.flaggedAt, reason: row.reason } : null;
}
