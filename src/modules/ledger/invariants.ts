import { sql } from 'drizzle-orm';
import type { Db } from '../../platform/db/database.js';
import { rawRows } from '../../platform/db/raw.js';

export interface InvariantViolation {
  rule:
    | 'transaction_balanced'
    | 'wallet_matches_entries'
    | 'wallet_not_negative'
    | 'escrow_matches_pending_holds'
    | 'receivables_not_positive';
  subject: string;
  detail: string;
}

export interface InvariantReport {
  ok: boolean;
  checkedAt: string;
  counts: { transactions: number; entries: number; wallets: number; pendingHolds: number };
  violations: InvariantViolation[];
}

/**
 * Checks what must always hold: every transaction sums to zero (per currency, ≥ 2 entries),
 * every cached wallet balance equals the sum of its entries, no wallet is negative, escrow
 * holds exactly the pending holds, and the receivables never stand above zero (the platform can
 * be owed money, never owe it through that account).
 */
export async function checkLedgerInvariants(db: Db): Promise<InvariantReport> {
  const violations: InvariantViolation[] = [];

  const unbalanced = await rawRows<{ id: string; total: string; entries: number }>(
    db,
    sql`select t.id::text as id, coalesce(sum(e.amount), 0)::text as total, count(e.id)::int as entries
        from ledger_transactions t left join ledger_entries e on e.transaction_id = t.id
        group by t.id, e.currency
        having coalesce(sum(e.amount), 0) <> 0 or count(e.id) < 2`,
  );
  for (const row of unbalanced) {
    violations.push({
      rule: 'transaction_balanced',
      subject: row.id,
      detail: `sums to ${row.total} over ${row.entries} entries`,
    });
  }

  const drifted = await rawRows<{ owner: string; cached: string; derived: string }>(
    db,
    sql`select w.owner_id::text as owner, w.balance::text as cached, coalesce(e.total, 0)::text as derived
        from wallets w
        left join (select account_id, sum(amount) as total from ledger_entries group by account_id) e
          on e.account_id = w.account_id
        where w.balance <> coalesce(e.total, 0)`,
  );
  for (const row of drifted) {
    violations.push({
      rule: 'wallet_matches_entries',
      subject: row.owner,
      detail: `cached ${row.cached}, entries sum to ${row.derived}`,
    });
  }

  const negative = await rawRows<{ owner: string; balance: string }>(
    db,
    sql`select owner_id::text as owner, balance::text as balance from wallets where balance < 0`,
  );
  for (const row of negative) {
    violations.push({ rule: 'wallet_not_negative', subject: row.owner, detail: `balance ${row.balance}` });
  }

  const escrow = await rawRows<{ currency: string; escrow: string; pending: string }>(
    db,
    sql`select a.currency,
               coalesce((select sum(amount) from ledger_entries where account_id = a.id), 0)::text as escrow,
               coalesce((select sum(amount) from ledger_holds where currency = a.currency and status = 'pending'), 0)::text as pending
        from ledger_accounts a where a.kind = 'escrow'`,
  );
  for (const row of escrow) {
    if (row.escrow !== row.pending) {
      violations.push({
        rule: 'escrow_matches_pending_holds',
        subject: `escrow:${row.currency}`,
        detail: `escrow holds ${row.escrow}, pending holds total ${row.pending}`,
      });
    }
  }

  const receivables = await rawRows<{ currency: string; balance: string }>(
    db,
    sql`select a.currency, coalesce(sum(e.amount), 0)::text as balance
        from ledger_accounts a left join ledger_entries e on e.account_id = a.id
        where a.kind = 'receivables' group by a.id, a.currency having coalesce(sum(e.amount), 0) > 0`,
  );
  for (const row of receivables) {
    violations.push({
      rule: 'receivables_not_positive',
      subject: `receivables:${row.currency}`,
      detail: `receivables stand at ${row.balance}`,
    });
  }

  const [counts] = await rawRows<{ transactions: number; entries: number; wallets: number; pending: number }>(
    db,
    sql`select (select count(*) from ledger_transactions)::int as transactions,
               (select count(*) from ledger_entries)::int as entries,
               (select count(*) from wallets)::int as wallets,
               (select count(*) from ledger_holds where status = 'pending')::int as pending`,
  );
  return {
    ok: violations.length === 0,
    checkedAt: new Date().toISOString(),
    counts: {
      transactions: Number(counts?.transactions ?? 0),
      entries: Number(counts?.entries ?? 0),
      wallets: Number(counts?.wallets ?? 0),
      pendingHolds: Number(counts?.pending ?? 0),
    },
    violations,
  };
}
