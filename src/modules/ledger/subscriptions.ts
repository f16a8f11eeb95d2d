import type { Db } from '../../platform/db/database.js';
import { AppError } from '../../platform/errors.js';
import { movement } from './domain.js';
import type { Hold, Posting, PostingResult } from './service.js';
import * as store from './store.js';

/**
 * A paid plan's included usage is a wallet of its own in this currency (cents of usage), granted
 * each period and spent before USD; what is left at the end of a period expires.
 */
export const INCLUDED_USAGE_CURRENCY = 'INCLUDED';

type Transfer = (tx: Db, posting: Posting) => Promise<PostingResult>;
type HoldOperation = (
  tx: Db,
  input: { ownerId: string; amount: number; reference: string; memo: string; currency?: string },
) => Promise<{ hold: Hold; duplicate: boolean }>;

/** The ledger's operations for plans, built on its postings and holds. */
export function subscriptionOperations(ops: { transfer: Transfer; hold: HoldOperation }) {
  const { transfer, hold } = ops;
  return {
    /**
     * A subscription period paid from the wallet: wallet → the `subscriptions` account. The
     * reference names the period (`subscription:<id>:<periodStart>`), so each period is charged
     * exactly once however many requests or workers try; a wallet too low for it is refused
     * (402 `insufficient_funds`) and never overdrawn.
     */
    chargeSubscription(
      tx: Db,
      input: { ownerId: string; amount: number; reference: string; memo: string },
    ): Promise<PostingResult> {
      return transfer(tx, {
        kind: 'subscription',
        legs: movement({ wallet: input.ownerId }, { platform: 'subscriptions' }, input.amount),
        memo: input.memo,
        idempotencyKey: `subscription-charge:${input.reference}`,
        metadata: { reference: input.reference },
      });
    },

    /** A period's included usage: the `subscriptions` account → the user's INCLUDED wallet, once per reference. */
    grantIncludedUsage(
      tx: Db,
      input: { ownerId: string; amount: number; reference: string; memo: string },
    ): Promise<PostingResult> {
      return transfer(tx, {
        kind: 'subscription',
        currency: INCLUDED_USAGE_CURRENCY,
        legs: movement({ platform: 'subscriptions' }, { wallet: input.ownerId }, input.amount),
        memo: input.memo,
        idempotencyKey: `included-grant:${input.reference}`,
        metadata: { reference: input.reference },
      });
    },

    /**
     * What is left of the included usage goes back to the `subscriptions` account (end of a
     * period, a downgrade). The wallet row is locked to read the exact balance; usage held by open
     * orders stays held (a release later returns it to the wallet). Returns the amount expired.
     */
    async expireIncludedUsage(
      tx: Db,
      input: { ownerId: string; reference: string; memo: string },
    ): Promise<number> {
      const balance = await store.lockWalletBalance(tx, input.ownerId, INCLUDED_USAGE_CURRENCY);
      if (balance <= 0) return 0;
      const result = await transfer(tx, {
        kind: 'subscription',
        currency: INCLUDED_USAGE_CURRENCY,
        legs: movement({ wallet: input.ownerId }, { platform: 'subscriptions' }, balance),
        memo: input.memo,
        idempotencyKey: `included-expiry:${input.reference}`,
        metadata: { reference: input.reference },
      });
      return result.duplicate ? 0 : balance;
    },

    /**
     * For a purchase: holds `amount` of the user's included usage (INCLUDED wallet → escrow) when
     * it covers the whole amount; otherwise holds nothing and answers undefined, and the purchase
     * pays in USD. A refused hold writes nothing, so the caller's transaction goes on as it was.
     * Capture and release work on the hold as on any other.
     */
    async holdIncludedUsage(
      tx: Db,
      input: { ownerId: string; amount: number; reference: string; memo: string },
    ): Promise<{ hold: Hold; duplicate: boolean } | undefined> {
      try {
        return await hold(tx, { ...input, currency: INCLUDED_USAGE_CURRENCY });
      } catch (error) {
        if (error instanceof AppError && error.code === 'insufficient_funds') return undefined;
        throw error;
      }
    },
  };
}
