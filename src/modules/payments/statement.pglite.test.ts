import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgliteTestDatabase, type TestDatabase } from '../../../test/support/database.js';
import { createAuditService } from '../audit/index.js';
import { emitEvent } from '../webhooks/index.js';
import { createLogger } from '../../platform/logger.js';
import { createPaymentsService } from './service.js';
import { createLedgerService } from '../ledger/index.js';

const ledger = createLedgerService();

/** The embedded default runs on PGlite: the wallet read queries must give the same answers there. */
describe('wallet read API on PGlite', () => {
  let testDb: TestDatabase;
  // Generous: migrating a fresh PGlite takes a minute on a busy machine.
  beforeAll(async () => {
    testDb = await createPgliteTestDatabase();
  }, 180_000);
  afterAll(async () => {
    await testDb?.dispose();
  });

  it('statement and overview', async () => {
    const db = testDb.database.db;
    const owner = randomUUID();
    await db.transaction((tx) =>
      ledger.creditTopup(tx, {
        ownerId: owner,
        amount: 1000,
        reference: 'nmk-tu-x',
        memo: 'Wallet top-up $10.00',
        metadata: { reference: 'nmk-tu-x' },
      }),
    );
    const payments = createPaymentsService({
      db,
      ledger,
      audit: createAuditService({ db }),
      paystack: undefined,
      paystackSecretKey: undefined,
      publicUrl: 'http://localhost',
      ngnPerUsd: 1500,
      logger: createLogger('silent'),
      webhooks: { emitEvent },
    });
    const { hold } = await db.transaction((tx) =>
      ledger.hold(tx, { ownerId: owner, amount: 300, reference: `p:${owner}`, memo: 'buy' }),
    );
    await db.transaction((tx) => ledger.capture(tx, hold.id));

    const statement = await payments.walletStatement(owner, { cursor: undefined, limit: 10 });
    expect(statement.nextCursor).toBeNull();
    expect(statement.data.map((l) => [l.type, l.amount.amount, l.balanceAfter.amount, l.reference])).toEqual([
      ['capture', 0, 700, `p:${owner}`],
      ['hold', -300, 700, `p:${owner}`],
      ['top-up', 1000, 1000, 'nmk-tu-x'],
    ]);
    expect(Number.isNaN(Date.parse(statement.data[0]!.createdAt))).toBe(false);
    const page = await payments.walletStatement(owner, { cursor: undefined, limit: 2 });
    expect(page.data).toHaveLength(2);
    const rest = await payments.walletStatement(owner, { cursor: Number(page.nextCursor), limit: 2 });
    expect(rest.data.map((l) => l.type)).toEqual(['top-up']);
    expect(await payments.walletOverview(owner)).toEqual({
      balance: { amount: 700, currency: 'USD' },
      held: { amount: 0, currency: 'USD' },
      includedUsage: { freeVerifications: 0 },
    });
  });
});
