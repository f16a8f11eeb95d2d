/** Pure ledger rules: what a posting is and when it is well formed. No I/O. */

/**
 * `receivables`: what users owe the platform: money Paystack took back (a refund, a chargeback)
 * after the user had already spent it. Its balance is negative while anything is owed.
 */
const PLATFORM_ACCOUNTS = [
  'escrow',
  'revenue',
  'paystack_clearing',
  'subscriptions',
  'adjustments',
  'receivables',
] as const;
export type PlatformAccount = (typeof PLATFORM_ACCOUNTS)[number];

/** Every account is a user's wallet or one of the platform's accounts. */
export const ACCOUNT_KINDS = ['wallet', ...PLATFORM_ACCOUNTS] as const;
export type AccountKind = (typeof ACCOUNT_KINDS)[number];

export const TRANSACTION_KINDS = [
  'topup',
  'hold',
  'capture',
  'release',
  'adjustment',
  'reversal',
  'subscription',
  'refund',
  /** A disputed top-up taken back when the dispute opens, or given back when the platform wins it. */
  'chargeback',
] as const;
export type TransactionKind = (typeof TRANSACTION_KINDS)[number];

/** A hold is pending until it is posted (captured) or voided (released). */
export const HOLD_STATUSES = ['pending', 'posted', 'voided'] as const;
export type HoldStatus = (typeof HOLD_STATUSES)[number];

/** An account named by what it is: a user's wallet or one of the platform's accounts. */
export type AccountRef = { wallet: string } | { platform: PlatformAccount };

export interface Leg {
  account: AccountRef;
  /** Signed minor units added to the account (negative takes money out). */
  amount: number;
}

export class LedgerRuleError extends Error {
  override name = 'LedgerRuleError';
}

function assertMinorUnits(amount: number, what = 'amount'): void {
  if (!Number.isSafeInteger(amount))
    throw new LedgerRuleError(`${what} must be an integer number of minor units`);
}

export function assertPositiveMinorUnits(amount: number, what = 'amount'): void {
  assertMinorUnits(amount, what);
  if (amount <= 0) throw new LedgerRuleError(`${what} must be positive`);
}

/** The code checks what the database will check anyway, so a caller's bug fails with a clear reason. */
export function assertBalanced(legs: readonly Leg[]): void {
  if (legs.length < 2) throw new LedgerRuleError('a transaction needs at least two legs');
  let sum = 0;
  for (const leg of legs) {
    assertMinorUnits(leg.amount, 'leg amount');
    if (leg.amount === 0) throw new LedgerRuleError('a leg cannot be zero');
    sum += leg.amount;
  }
  if (sum !== 0) throw new LedgerRuleError(`legs sum to ${sum}, not zero`);
}

/** Two legs moving `amount` from one account to another. */
export function movement(from: AccountRef, to: AccountRef, amount: number): Leg[] {
  assertPositiveMinorUnits(amount);
  return [
    { account: from, amount: -amount },
    { account: to, amount },
  ];
}

/** The ref of a stored account row; the database holds `owner iff wallet` (a CHECK). */
export function accountRefOf(row: { kind: AccountKind; ownerId: string | null }): AccountRef {
  if (row.kind !== 'wallet') return { platform: row.kind };
  if (row.ownerId === null) throw new LedgerRuleError('a wallet account without an owner');
  return { wallet: row.ownerId };
}

export const accountKey = (ref: AccountRef): string =>
  'wallet' in ref ? `wallet:${ref.wallet}` : `platform:${ref.platform}`;
