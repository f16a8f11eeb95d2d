import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgliteTestDatabase, type TestDatabase } from '../../../test/support/database.js';
import { movement } from '../ledger/domain.js';
import * as ledger from '../ledger/service.js';
import { walletOverview, walletStatement } from './service.js';

/** The embedded default runs on PGlite: the wallet read queries must give the same answers there. */
describe('wallet read API on PGlite', () => {
  let testDb: TestDatabase;
  beforeAll(async () => {
    testDb = await createPgliteTestDatabase();
  });
  afterAll(async () => {
    await testDb?.dispose();
  });

  it('statement and overview', async () => {
    const db = testDb.database.db;
    const owner = randomUUID();
    await db.transaction((tx) =>
      ledger.transfer(tx, {
        kind: 'topup',
        legs: movement({ platform: 'paystack_clearing' }, { wallet: owner }, 1000),
        memo: 'Wallet top-up $10.00',
        idempotencyKey: `topup:${owner}`,
        metadata: { reference: 'nmk-tu-x' },
      }),
    );
    const { hold } = await db.transaction((tx) =>
      ledger.hold(tx, { ownerId: owner, amount: 300, reference: `p:${owner}`, memo: 'buy' }),
    );
    await db.transaction((tx) => ledger.capture(tx, hold.id));

    const statement = await walletStatement(db, owner, { cursor: undefined, limit: 10 });
    expect(statement.nextCursor).toBeNull();
    expect(statement.data.map((l) => [l.type, l.amount.amount, l.balanceAfter.amount, l.reference])).toEqual([
      ['capture', 0, 700, `p:${owner}`],
      ['hold', -300, 700, `p:${owner}`],
      ['top-up', 1000, 1000, 'nmk-tu-x'],
    ]);
    expect(Number.isNaN(Date.parse(statement.data[0]!.createdAt))).toBe(false);
    const page = await walletStatement(db, owner, { cursor: undefined, limit: 2 });
    expect(page.data).toHaveLength(2);
    const rest = await walletStatement(db, owner, { cursor: Number(page.nextCursor), limit: 2 });
    expect(rest.data.map((l) => l.type)).toEqual(['top-up']);
    expect(await walletOverview(db, owner)).toEqual({
      balance: { amount: 700, currency: 'USD' },
      held: { amount: 0, currency: 'USD' },
      includedUsage: { freeVerifications: 0 },
    });
  });
});
