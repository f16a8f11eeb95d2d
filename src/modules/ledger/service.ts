import type { Db } from '../../platform/db/database.js';
import { AppError, insufficientFunds } from '../../platform/errors.js';
import {
  type Leg,
  type TransactionKind,
  assertBalanced,
  assertPositiveMinorUnits,
  accountKey,
  accountRefOf,
  LedgerRuleError,
  movement,
} from './domain.js';
import { reversalOperations } from './reversals.js';
import { subscriptionOperations } from './subscriptions.js';
import * as store from './store.js';

/**
 * The ledger's use cases. Every function takes the caller's transaction handle so a money
 * movement commits or rolls back together with the business change it pays for.
 */

export const WALLET_CURRENCY = 'USD';
/** The free sign-up verification is a wallet of its own in this currency, spent like money. */
export const SIGNUP_CREDIT_CURRENCY = 'CREDIT';
export { INCLUDED_USAGE_CURRENCY } from './subscriptions.js';

export interface Posting {
  kind: TransactionKind;
  legs: Leg[];
  memo: string;
  /** Same key twice → applied once; the second call reports `duplicate`. */
  idempotencyKey?: string;
  metadata?: Record<string, unknown>;
  currency?: string;
}

export interface PostingResult {
  transactionId: string;
  duplicate: boolean;
  /** The wallet accounts the posting touched, by owner. */
  walletAccounts: Record<string, string>;
}

export async function openWallet(db: Db, ownerId: string, currency = WALLET_CURRENCY): Promise<void> {
  await store.ensureWallet(db, ownerId, currency);
}

export async function transfer(tx: Db, posting: Posting): Promise<PostingResult> {
  return post(tx, posting, {});
}

async function post(
  tx: Db,
  posting: Posting,
  links: { resolvesHoldId?: string; reversesId?: string },
  /** Work that belongs to the posting, done before the wallet row is locked. */
  beforeWalletUpdate?: (transactionId: string, accounts: Map<string, string>) => Promise<void>,
): Promise<PostingResult> {
  assertBalanced(posting.legs);
  const currency = posting.currency ?? WALLET_CURRENCY;
  const transactionId = await store.insertTransaction(tx, {
    kind: posting.kind,
    memo: posting.memo,
    idempotencyKey: posting.idempotencyKey,
    metadata: posting.metadata,
    ...links,
  });
  if (!transactionId) {
    if (links.reversesId)
      throw new AppError(409, 'already_reversed', 'This transaction was already reversed.');
    const existing = posting.idempotencyKey
      ? await store.findTransactionByKey(tx, posting.idempotencyKey)
      : undefined;
    if (!existing) throw new LedgerRuleError('transaction refused as a duplicate');
    return { transactionId: existing.id, duplicate: true, walletAccounts: {} };
  }
  const walletAccounts = await applyLegs(tx, transactionId, posting.legs, currency, beforeWalletUpdate);
  return { transactionId, duplicate: false, walletAccounts };
}

/**
 * Writes the entries, then moves the cached wallet balances. The wallet update comes last so the
 * hot row is locked only for the final statements and the commit.
 */
async function applyLegs(
  tx: Db,
  transactionId: string,
  legs: Leg[],
  currency: string,
  beforeWalletUpdate?: (transactionId: string, accounts: Map<string, string>) => Promise<void>,
) {
  const accounts = await resolveAccounts(tx, legs, currency);
  await store.insertEntries(
    tx,
    transactionId,
    currency,
    legs.map((leg) => ({ accountId: accounts.get(accountKey(leg.account))!, amount: leg.amount })),
  );
  await beforeWalletUpdate?.(transactionId, accounts);
  // Wallet rows are locked in one fixed order so two postings can never wait on each other.
  const walletLegs = legs
    .filter((leg): leg is Leg & { account: { wallet: string } } => 'wallet' in leg.account)
    .sort((a, b) => a.account.wallet.localeCompare(b.account.wallet));
  const walletAccounts: Record<string, string> = {};
  for (const leg of walletLegs) {
    const ownerId = leg.account.wallet;
    const moved =
      leg.amount < 0
        ? await store.debitWallet(tx, ownerId, currency, -leg.amount)
        : await store.creditWallet(tx, ownerId, currency, leg.amount);
    if (!moved) throw insufficientFunds();
    walletAccounts[ownerId] = moved.accountId;
  }
  return walletAccounts;
}

async function resolveAccounts(tx: Db, legs: Leg[], currency: string): Promise<Map<string, string>> {
  let found = await store.accountIds(
    tx,
    legs.map((leg) => leg.account),
    currency,
  );
  const missing = legs.filter((leg) => !found.has(accountKey(leg.account)));
  if (missing.length === 0) return found;
  for (const leg of missing) {
    // Money may arrive in a wallet that does not exist yet; taking money out never creates one.
    if ('wallet' in leg.account) {
      if (leg.amount < 0) throw insufficientFunds();
      await store.ensureWallet(tx, leg.account.wallet, currency);
    } else {
      await store.platformAccountId(tx, leg.account.platform, currency);
    }
  }
  found = await store.accountIds(
    tx,
    legs.map((leg) => leg.account),
    currency,
  );
  return found;
}

export type Hold = store.HoldRow;

/**
 * Reserves money for a purchase: wallet → escrow, pending until captured or released. One round
 * trip (`ledger_hold`); a wallet too low is refused having written nothing.
 */
export async function hold(
  tx: Db,
  input: { ownerId: string; amount: number; reference: string; memo: string; currency?: string },
): Promise<{ hold: Hold; duplicate: boolean }> {
  assertPositiveMinorUnits(input.amount);
  const answer = await store.holdFunds(tx, { ...input, currency: input.currency ?? WALLET_CURRENCY });
  if (answer.outcome === 'insufficient_funds') throw insufficientFunds();
  return { hold: answer.hold, duplicate: answer.outcome === 'duplicate' };
}

export type Resolution = { outcome: 'resolved'; hold: Hold } | { outcome: 'already_resolved'; hold: Hold };

/** Posts a hold: escrow → revenue. Exactly one of capture/release ever wins for a hold. */
export function capture(tx: Db, holdId: string, memo = 'Purchase captured'): Promise<Resolution> {
  return resolve(tx, holdId, 'posted', memo);
}

/** Voids a hold: escrow → wallet, the money is spendable again at once. */
export function release(tx: Db, holdId: string, memo = 'Hold released'): Promise<Resolution> {
  return resolve(tx, holdId, 'voided', memo);
}

/** One round trip (`ledger_resolve_hold`); the unique resolves_hold_id makes racing resolvers lose. */
async function resolve(
  tx: Db,
  holdId: string,
  status: 'posted' | 'voided',
  memo: string,
): Promise<Resolution> {
  const answer = await store.resolveHold(tx, holdId, status, memo);
  if (answer.outcome === 'not_found') throw new AppError(404, 'not_found', 'Hold not found.');
  return answer;
}

/** Undoes a posted transaction with its mirror image; a reversal may itself fail for lack of funds. */
export async function reverse(tx: Db, transactionId: string, memo: string): Promise<PostingResult> {
  const original = await store.findTransaction(tx, transactionId);
  if (!original) throw new AppError(404, 'not_found', 'Transaction not found.');
  if (['hold', 'capture', 'release', 'reversal'].includes(original.kind)) {
    throw new LedgerRuleError(`a ${original.kind} transaction is undone through its hold, not reversed`);
  }
  const entries = await store.entriesOf(tx, transactionId);
  const legs: Leg[] = entries.map((e) => ({
    account: accountRefOf(e),
    amount: -e.amount,
  }));
  return post(
    tx,
    {
      kind: 'reversal',
      legs,
      memo,
      currency: entries[0]?.currency ?? WALLET_CURRENCY,
      metadata: { reverses: transactionId },
    },
    { reversesId: transactionId },
  );
}

export async function walletSummary(db: Db, ownerId: string, currency = WALLET_CURRENCY) {
  return store.walletSummary(db, ownerId, currency);
}

/** Several of an owner's wallets at one moment, in one statement (keyed by currency). */
export async function walletSummaries(db: Db, ownerId: string, currencies: readonly string[]) {
  return store.walletSummaries(db, ownerId, currencies);
}

export type StatementLine = store.StatementRow;

/** The wallet's history, newest first, with the running balance after each line. */
async function walletStatement(
  db: Db,
  ownerId: string,
  page: { cursor?: number | undefined; limit: number; currency?: string },
): Promise<StatementLine[]> {
  return store.walletStatement(db, ownerId, page.currency ?? WALLET_CURRENCY, {
    cursor: page.cursor,
    limit: page.limit,
  });
}

/** A top-up confirmed by the payment provider: clearing → wallet, once per reference. */
function creditTopup(
  tx: Db,
  input: {
    ownerId: string;
    amount: number;
    reference: string;
    memo: string;
    metadata?: Record<string, unknown>;
  },
): Promise<PostingResult> {
  return transfer(tx, {
    kind: 'topup',
    legs: movement({ platform: 'paystack_clearing' }, { wallet: input.ownerId }, input.amount),
    memo: input.memo,
    idempotencyKey: `topup:${input.reference}`,
    metadata: input.metadata,
  });
}

/** Opens the user's wallets and grants the one free verification of a new account. */
async function openAccountWallets(tx: Db, ownerId: string): Promise<void> {
  await openWallet(tx, ownerId);
  await transfer(tx, {
    kind: 'adjustment',
    currency: SIGNUP_CREDIT_CURRENCY,
    legs: movement({ platform: 'adjustments' }, { wallet: ownerId }, 1),
    memo: 'Free verification at sign-up',
    idempotencyKey: `signup-credit:${ownerId}`,
  });
}

/**
 * A manual correction of a wallet (positive credits, negative debits), balanced against the
 * platform's adjustments account; a debit never takes a wallet below zero.
 */
function adjust(
  tx: Db,
  input: {
    ownerId: string;
    amount: number;
    memo: string;
    idempotencyKey?: string;
    currency?: string;
    metadata?: Record<string, unknown>;
  },
): Promise<PostingResult> {
  const wallet = { wallet: input.ownerId };
  const adjustments = { platform: 'adjustments' } as const;
  return transfer(tx, {
    kind: 'adjustment',
    legs:
      input.amount >= 0
        ? movement(adjustments, wallet, input.amount)
        : movement(wallet, adjustments, -input.amount),
    memo: input.memo,
    idempotencyKey: input.idempotencyKey,
    currency: input.currency,
    metadata: input.metadata,
  });
}

/**
 * The ledger as other modules see it: named operations, each run inside the caller's transaction
 * (`tx`) so a money movement commits or rolls back with the business change it pays for.
 */
export function createLedgerService() {
  return {
    openWallet,
    openAccountWallets,
    creditTopup,
    adjust,
    // chargeSubscription, grantIncludedUsage, expireIncludedUsage, holdIncludedUsage
    ...subscriptionOperations({ transfer, hold }),
    // takeBackTopup, returnTakenBack, flagWallet, clearWalletFlag, walletFlag
    ...reversalOperations({ transfer }),
    hold,
    capture,
    release,
    reverse,
    walletSummary,
    walletSummaries,
    walletStatement,
  };
}
export type LedgerService = ReturnType<typeof createLedgerService>;
