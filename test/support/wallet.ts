import { randomUUID } from 'node:crypto';
import { type PostingResult, createLedgerService } from '../../src/modules/ledger/index.js';
import type { Db } from '../../src/platform/db/database.js';

const ledger = createLedgerService();

/**
 * The one way tests and benchmarks put money in a wallet: a confirmed top-up of `cents` (payment
 * clearing → the user's USD wallet), as the payments module credits it, in its own transaction.
 */
export function fundWallet(db: Db, userId: string, cents: number): Promise<PostingResult> {
  return db.transaction((tx) =>
    ledger.creditTopup(tx, {
      ownerId: userId,
      amount: cents,
      reference: `test-funding-${randomUUID()}`,
      memo: 'Test funding',
    }),
  );
}
