import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type TestDatabase,
  createPgliteTestDatabase,
  createPostgresTestDatabase,
} from '../../../test/support/database.js';
import type { Db } from '../../platform/db/database.js';
import { checkLedgerInvariants } from './invariants.js';
import { createLedgerService } from './service.js';

const ledger = createLedgerService();

/** Taking a top-up back and giving it back, on both engines (PGlite is the embedded default). */
describe.each([
  ['PostgreSQL', () => createPostgresTestDatabase(10)],
  ['PGlite', createPgliteTestDatabase],
])('ledger take-backs on %s', (_engine, open) => {
  let testDb: TestDatabase;
  let db: Db;
  beforeAll(async () => {
    testDb = await open();
    db = testDb.database.db;
  }, 60_000);
  afterAll(async () => {
    await testDb?.dispose();
  });

  async function funded(cents: number): Promise<string> {
    const owner = randomUUID();
    await db.transaction((tx) =>
      ledger.creditTopup(tx, { ownerId: owner, amount: cents, reference: `fund-${owner}`, memo: 'funding' }),
    );
    return owner;
  }

  const invariantsHold = async () => {
    const report = await checkLedgerInvariants(db);
    expect(report.violations).toEqual([]);
  };

  it('takes what the wallet holds and records the rest as owed, once per reference', async () => {
    const owner = await funded(300);
    const takeBack = () =>
      db.transaction((tx) =>
        ledger.takeBackTopup(tx, {
          ownerId: owner,
          amount: 500,
          kind: 'refund',
          reference: `r-${owner}`,
          memo: 'Refund',
        }),
      );
    const first = await takeBack();
    expect(first).toMatchObject({ duplicate: false, fromWallet: 300, receivable: 200 });
    const again = await takeBack();
    expect(again).toMatchObject({
      duplicate: true,
      transactionId: first.transactionId,
      fromWallet: 300,
      receivable: 200,
    });
    expect((await ledger.walletSummary(db, owner)).balance).toBe(0);
    await invariantsHold();

    // Given back: the 200 owed is cleared first, the other 300 returns to the wallet, once.
    const giveBack = () =>
      db.transaction((tx) =>
        ledger.returnTakenBack(tx, {
          ownerId: owner,
          amount: 500,
          clearReceivable: 200,
          reference: `r-${owner}`,
          memo: 'Dispute won',
        }),
      );
    expect((await giveBack()).duplicate).toBe(false);
    expect((await giveBack()).duplicate).toBe(true);
    expect((await ledger.walletSummary(db, owner)).balance).toBe(300);
    await invariantsHold();
  });

  it('a wallet with nothing in it gives nothing; the whole amount is owed', async () => {
    const owner = randomUUID();
    const taken = await db.transaction((tx) =>
      ledger.takeBackTopup(tx, {
        ownerId: owner,
        amount: 120,
        kind: 'chargeback',
        reference: `c-${owner}`,
        memo: 'x',
      }),
    );
    expect(taken).toMatchObject({ fromWallet: 0, receivable: 120 });
    await invariantsHold();
  });

  it('flags a wallet once, keeps the first time, and clears it', async () => {
    const owner = await funded(10);
    expect(
      await db.transaction((tx) => ledger.flagWallet(tx, { ownerId: owner, reason: 'owes $1.00' })),
    ).toBe(true);
    const first = await ledger.walletFlag(db, owner);
    expect(await db.transaction((tx) => ledger.flagWallet(tx, { ownerId: owner, reason: 'again' }))).toBe(
      false,
    );
    expect(await ledger.walletFlag(db, owner)).toEqual(first);
    expect(await db.transaction((tx) => ledger.clearWalletFlag(tx, owner))).toBe(true);
    expect(await db.transaction((tx) => ledger.clearWalletFlag(tx, owner))).toBe(false);
    expect(await ledger.walletFlag(db, owner)).toBeNull();
  });
});
