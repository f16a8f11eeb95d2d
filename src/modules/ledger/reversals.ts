import type { Db } from '../../platform/db/database.js';
import { type Leg, assertPositiveMinorUnits } from './domain.js';
import type { Posting, PostingResult } from './service.js';
import * as store from './store.js';

/**
 * Money Paystack takes back from a top-up after it was credited (a processed refund, an opened
 * chargeback), and what comes back when the platform wins a dispute. A wallet never goes below
 * zero: what it no longer holds (spent meanwhile) is recorded in the `receivables` account, and the
 * caller flags the wallet for an administrator.
 */

const USD = 'USD';

type Transfer = (tx: Db, posting: Posting) => Promise<PostingResult>;

export interface TakeBack extends PostingResult {
  /** Cents taken out of the wallet (what it held, up to the amount). */
  fromWallet: number;
  /** Cents the wallet could not cover: now owed by the user (the `receivables` account). */
  receivable: number;
}

const centsIn = (metadata: Record<string, unknown>, field: string) => {
  const value = metadata[field];
  return typeof value === 'number' && Number.isSafeInteger(value) ? value : 0;
};

export function reversalOperations(ops: { transfer: Transfer }) {
  const { transfer } = ops;
  return {
    /**
     * Paystack gave `amount` of a top-up back to the payer: clearing ← the wallet, as much as it
     * holds, and ← `receivables` for the rest. The wallet row is locked first, so a purchase racing
     * this either spends before it (and the rest becomes a receivable) or after it (and finds the
     * money gone). Once per `reference` (e.g. `paystack-refund:<id>`); a replay reports the split
     * the first call posted.
     */
    async takeBackTopup(
      tx: Db,
      input: {
        ownerId: string;
        amount: number;
        kind: 'refund' | 'chargeback';
        reference: string;
        memo: string;
        metadata?: Record<string, unknown>;
      },
    ): Promise<TakeBack> {
      assertPositiveMinorUnits(input.amount);
      const idempotencyKey = `takeback:${input.reference}`;
      const existing = await store.findTransactionByKey(tx, idempotencyKey);
      if (existing) {
        return {
          transactionId: existing.id,
          duplicate: true,
          walletAccounts: {},
          fromWallet: centsIn(existing.metadata, 'fromWallet'),
          receivable: centsIn(existing.metadata, 'receivable'),
        };
      }
      const balance = await store.lockWalletBalance(tx, input.ownerId, USD);
      const fromWallet = Math.min(Math.max(balance, 0), input.amount);
      const receivable = input.amount - fromWallet;
      const legs: Leg[] = [{ account: { platform: 'paystack_clearing' }, amount: input.amount }];
      if (fromWallet > 0) legs.push({ account: { wallet: input.ownerId }, amount: -fromWallet });
      if (receivable > 0) legs.push({ account: { platform: 'receivables' }, amount: -receivable });
      const posted = await transfer(tx, {
        kind: input.kind,
        legs,
        memo: input.memo,
        idempotencyKey,
        metadata: { ...input.metadata, reference: input.reference, fromWallet, receivable },
      });
      return { ...posted, fromWallet, receivable };
    },

    /**
     * The reverse of a take-back the platform no longer bears (a dispute won): clearing → first
     * `receivables` (up to `clearReceivable`, what that take-back left owed), then the wallet.
     * Once per `reference`.
     */
    returnTakenBack(
      tx: Db,
      input: {
        ownerId: string;
        amount: number;
        clearReceivable: number;
        reference: string;
        memo: string;
        metadata?: Record<string, unknown>;
      },
    ): Promise<PostingResult> {
      assertPositiveMinorUnits(input.amount);
      const cleared = Math.min(Math.max(input.clearReceivable, 0), input.amount);
      const toWallet = input.amount - cleared;
      const legs: Leg[] = [{ account: { platform: 'paystack_clearing' }, amount: -input.amount }];
      if (cleared > 0) legs.push({ account: { platform: 'receivables' }, amount: cleared });
      if (toWallet > 0) legs.push({ account: { wallet: input.ownerId }, amount: toWallet });
      return transfer(tx, {
        kind: 'chargeback',
        legs,
        memo: input.memo,
        idempotencyKey: `takeback-return:${input.reference}`,
        metadata: { ...input.metadata, reference: input.reference, toWallet, receivableCleared: cleared },
      });
    },

    /** Marks the user's wallet for an administrator; false when it was already flagged. */
    flagWallet: (tx: Db, input: { ownerId: string; reason: string }) =>
      store.flagWallet(tx, input.ownerId, USD, input.reason),
    /** Clears the flag (an administrator dealt with it); false when it was not flagged. */
    clearWalletFlag: (tx: Db, ownerId: string) => store.clearWalletFlag(tx, ownerId, USD),
    walletFlag: (db: Db, ownerId: string) => store.walletFlag(db, ownerId, USD),
  };
}
