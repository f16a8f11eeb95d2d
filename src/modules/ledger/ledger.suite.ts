import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../platform/db/database.js';
import { sqlState } from '../../platform/errors.js';
import type { TestDatabase } from '../../../test/support/database.js';
import { movement } from './domain.js';
import { checkLedgerInvariants } from './invariants.js';
import * as ledger from './service.js';

/**
 * One suite, two engines: the same ledger behaviour must hold on PostgreSQL (production) and on
 * PGlite (the embedded default).
 */
export function defineLedgerSuite(engine: string, open: () => Promise<TestDatabase>, concurrency: number) {
  describe(`ledger on ${engine}`, () => {
    let testDb: TestDatabase;
    let db: Db;

    beforeAll(async () => {
      testDb = await open();
      db = testDb.database.db;
    });
    afterAll(async () => {
      await testDb?.dispose();
    });

    async function fundedWallet(cents: number): Promise<string> {
      const owner = randomUUID();
      await db.transaction(async (tx) => {
        await ledger.openWallet(tx, owner);
        if (cents > 0) {
          await ledger.transfer(tx, {
            kind: 'topup',
            legs: movement({ platform: 'paystack_clearing' }, { wallet: owner }, cents),
            memo: 'test funding',
            idempotencyKey: `fund:${owner}`,
          });
        }
      });
      return owner;
    }

    it(`${concurrency} concurrent 1-cent holds on a 500-cent wallet: exactly 500 succeed`, async () => {
      const owner = await fundedWallet(500);
      const results = await Promise.allSettled(
        Array.from({ length: concurrency }, (_, i) =>
          db.transaction((tx) =>
            ledger.hold(tx, { ownerId: owner, amount: 1, reference: `h:${owner}:${i}`, memo: 'hold' }),
          ),
        ),
      );
      const succeeded = results.filter((r) => r.status === 'fulfilled').length;
      const refused = results.filter(
        (r) => r.status === 'rejected' && (r.reason as { code?: string }).code === 'insufficient_funds',
      ).length;
      expect(succeeded).toBe(Math.min(500, concurrency));
      expect(refused).toBe(concurrency - succeeded);
      const summary = await ledger.walletSummary(db, owner);
      expect(summary).toEqual({ balance: 500 - succeeded, held: succeeded });
      const report = await checkLedgerInvariants(db);
      expect(report.violations).toEqual([]);
    });

    it('concurrent capture and release of one hold: exactly one wins', async () => {
      for (let round = 0; round < 20; round++) {
        const owner = await fundedWallet(100);
        const { hold } = await db.transaction((tx) =>
          ledger.hold(tx, { ownerId: owner, amount: 40, reference: `race:${owner}`, memo: 'hold' }),
        );
        const [captured, released] = await Promise.all([
          db.transaction((tx) => ledger.capture(tx, hold.id)),
          db.transaction((tx) => ledger.release(tx, hold.id)),
        ]);
        const winners = [captured, released].filter((r) => r.outcome === 'resolved');
        expect(winners).toHaveLength(1);
        const summary = await ledger.walletSummary(db, owner);
        expect(summary.held).toBe(0);
        expect(summary.balance).toBe(captured.outcome === 'resolved' ? 60 : 100);
      }
      expect((await checkLedgerInvariants(db)).violations).toEqual([]);
    });

    it('a hold is placed once per reference, whoever asks twice', async () => {
      const owner = await fundedWallet(100);
      const first = await db.transaction((tx) =>
        ledger.hold(tx, { ownerId: owner, amount: 30, reference: `once:${owner}`, memo: 'h' }),
      );
      const second = await db.transaction((tx) =>
        ledger.hold(tx, { ownerId: owner, amount: 30, reference: `once:${owner}`, memo: 'h' }),
      );
      expect(second.duplicate).toBe(true);
      expect(second.hold.id).toBe(first.hold.id);
      expect(await ledger.walletSummary(db, owner)).toEqual({ balance: 70, held: 30 });
    });

    it("reads several of an owner's wallets at once: balance and pending holds, 0 for one not made", async () => {
      const owner = await fundedWallet(100);
      await db.transaction((tx) =>
        ledger.hold(tx, { ownerId: owner, amount: 25, reference: `summaries:${owner}`, memo: 'h' }),
      );
      const summaries = await ledger.walletSummaries(db, owner, ['USD', 'CREDIT']);
      expect(Object.fromEntries(summaries)).toEqual({
        USD: { balance: 75, held: 25 },
        CREDIT: { balance: 0, held: 0 },
      });
    });

    it('one reference asked for at once by many: one hold, the wallet debited once', async () => {
      const owner = await fundedWallet(100);
      const asks = await Promise.all(
        Array.from({ length: 10 }, () =>
          db.transaction((tx) =>
            ledger.hold(tx, { ownerId: owner, amount: 30, reference: `race:${owner}`, memo: 'h' }),
          ),
        ),
      );
      expect(new Set(asks.map((a) => a.hold.id)).size).toBe(1);
      expect(asks.filter((a) => !a.duplicate)).toHaveLength(1);
      expect(await ledger.walletSummary(db, owner)).toEqual({ balance: 70, held: 30 });
      expect((await checkLedgerInvariants(db)).violations).toEqual([]);
    });

    it('a refused hold writes nothing: the same transaction goes on and commits', async () => {
      const owner = await fundedWallet(50);
      const { rows } = await testDb.database.sql.query('select count(*)::int as n from ledger_transactions');
      const transactionsBefore = Number(rows[0]!.n);
      const placed = await db.transaction(async (tx) => {
        await expect(
          ledger.hold(tx, { ownerId: owner, amount: 80, reference: `big:${owner}`, memo: 'h' }),
        ).rejects.toMatchObject({ code: 'insufficient_funds' });
        // A wallet that does not exist is refused the same way, and never created.
        await expect(
          ledger.hold(tx, { ownerId: randomUUID(), amount: 1, reference: `none:${owner}`, memo: 'h' }),
        ).rejects.toMatchObject({ code: 'insufficient_funds' });
        return ledger.hold(tx, { ownerId: owner, amount: 20, reference: `small:${owner}`, memo: 'h' });
      });
      expect(placed.duplicate).toBe(false);
      expect(await ledger.walletSummary(db, owner)).toEqual({ balance: 30, held: 20 });
      const after = await testDb.database.sql.query('select count(*)::int as n from ledger_transactions');
      expect(Number(after.rows[0]!.n) - transactionsBefore).toBe(1);
    });

    it('resolving a hold that does not exist is 404', async () => {
      await expect(db.transaction((tx) => ledger.capture(tx, randomUUID()))).rejects.toMatchObject({
        status: 404,
        code: 'not_found',
      });
    });

    it('an idempotent transfer applies once', async () => {
      const owner = await fundedWallet(0);
      const credit = () =>
        db.transaction((tx) =>
          ledger.transfer(tx, {
            kind: 'topup',
            legs: movement({ platform: 'paystack_clearing' }, { wallet: owner }, 250),
            memo: 'top-up',
            idempotencyKey: `topup:ref-${owner}`,
          }),
        );
      const results = await Promise.all([credit(), credit(), credit()]);
      expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
      expect((await ledger.walletSummary(db, owner)).balance).toBe(250);
    });

    it('a transaction that does not sum to zero is refused by the database', async () => {
      const owner = await fundedWallet(100);
      const attempt = db.transaction(async (tx) => {
        const [row] = await tx
          .execute(
            sql`insert into ledger_transactions (kind, memo) values ('adjustment', 'bad') returning id::text as id`,
          )
          .then((r) => (r as unknown as { rows: { id: string }[] }).rows);
        const account = await tx
          .execute(sql`select account_id::text as id from wallets where owner_id = ${owner}`)
          .then((r) => (r as unknown as { rows: { id: string }[] }).rows[0]);
        await tx.execute(
          sql`insert into ledger_entries (transaction_id, account_id, currency, amount) values (${row!.id}, ${account!.id}, 'USD', 5)`,
        );
      });
      await expect(attempt).rejects.toSatisfy((error: unknown) => sqlState(error) === '23514');
      expect((await ledger.walletSummary(db, owner)).balance).toBe(100);
      expect((await checkLedgerInvariants(db)).violations).toEqual([]);
    });

    it('a transaction with a single entry or none is refused by the database', async () => {
      const none = db.transaction(async (tx) => {
        await tx.execute(sql`insert into ledger_transactions (kind, memo) values ('adjustment', 'empty')`);
      });
      await expect(none).rejects.toSatisfy((error: unknown) => sqlState(error) === '23514');
    });

    it('entries and transactions cannot be edited or deleted', async () => {
      await fundedWallet(10);
      await expect(db.execute(sql`update ledger_entries set amount = amount * 2`)).rejects.toSatisfy(
        (error: unknown) => sqlState(error) === '55000',
      );
      await expect(db.execute(sql`delete from ledger_transactions`)).rejects.toSatisfy(
        (error: unknown) => sqlState(error) === '55000',
      );
    });

    it('a wallet cannot go below zero, even by a direct update', async () => {
      const owner = await fundedWallet(10);
      await expect(
        db.execute(sql`update wallets set balance = -1 where owner_id = ${owner}`),
      ).rejects.toSatisfy((error: unknown) => sqlState(error) === '23514');
    });

    it('all-or-nothing: a failure after a hold rolls the hold back', async () => {
      const owner = await fundedWallet(100);
      await expect(
        db.transaction(async (tx) => {
          await ledger.hold(tx, { ownerId: owner, amount: 60, reference: `rollback:${owner}`, memo: 'h' });
          throw new Error('the business change failed');
        }),
      ).rejects.toThrow('the business change failed');
      expect(await ledger.walletSummary(db, owner)).toEqual({ balance: 100, held: 0 });
    });

    it('release returns the money at once; a second resolution changes nothing', async () => {
      const owner = await fundedWallet(100);
      const { hold } = await db.transaction((tx) =>
        ledger.hold(tx, { ownerId: owner, amount: 25, reference: `rel:${owner}`, memo: 'h' }),
      );
      expect(await ledger.walletSummary(db, owner)).toEqual({ balance: 75, held: 25 });
      const released = await db.transaction((tx) => ledger.release(tx, hold.id));
      expect(released.outcome).toBe('resolved');
      const again = await db.transaction((tx) => ledger.capture(tx, hold.id));
      expect(again).toMatchObject({ outcome: 'already_resolved', hold: { status: 'voided' } });
      expect(await ledger.walletSummary(db, owner)).toEqual({ balance: 100, held: 0 });
    });

    it('reverse undoes a top-up once, and refuses when the money is already spent', async () => {
      const owner = await fundedWallet(0);
      const topup = await db.transaction((tx) =>
        ledger.transfer(tx, {
          kind: 'topup',
          legs: movement({ platform: 'paystack_clearing' }, { wallet: owner }, 80),
          memo: 'top-up',
          idempotencyKey: `rev:${owner}`,
        }),
      );
      await db.transaction((tx) => ledger.reverse(tx, topup.transactionId, 'charged back'));
      expect((await ledger.walletSummary(db, owner)).balance).toBe(0);
      await expect(
        db.transaction((tx) => ledger.reverse(tx, topup.transactionId, 'again')),
      ).rejects.toMatchObject({
        code: 'already_reversed',
      });

      const spender = await fundedWallet(0);
      const second = await db.transaction((tx) =>
        ledger.transfer(tx, {
          kind: 'topup',
          legs: movement({ platform: 'paystack_clearing' }, { wallet: spender }, 50),
          memo: 'top-up',
          idempotencyKey: `rev2:${spender}`,
        }),
      );
      await db.transaction((tx) =>
        ledger.hold(tx, { ownerId: spender, amount: 30, reference: `spend:${spender}`, memo: 'h' }),
      );
      await expect(
        db.transaction((tx) => ledger.reverse(tx, second.transactionId, 'charged back')),
      ).rejects.toMatchObject({
        code: 'insufficient_funds',
      });
      expect((await checkLedgerInvariants(db)).violations).toEqual([]);
    });

    it('a transfer between two wallets moves the money once; a hold is never reversed, only released', async () => {
      const [payer, payee] = [await fundedWallet(300), await fundedWallet(0)];
      await db.transaction((tx) =>
        ledger.transfer(tx, {
          kind: 'adjustment',
          legs: movement({ wallet: payer }, { wallet: payee }, 120),
          memo: 'moved by support',
          idempotencyKey: `move:${payer}`,
        }),
      );
      expect((await ledger.walletSummary(db, payer)).balance).toBe(180);
      expect((await ledger.walletSummary(db, payee)).balance).toBe(120);

      const { hold } = await db.transaction((tx) =>
        ledger.hold(tx, { ownerId: payee, amount: 20, reference: `nr:${payee}`, memo: 'h' }),
      );
      await expect(
        db.transaction((tx) => ledger.reverse(tx, hold.holdTransactionId, 'undo')),
      ).rejects.toThrow('undone through its hold');
      expect(await ledger.walletSummary(db, payee)).toEqual({ balance: 100, held: 20 });
      expect((await checkLedgerInvariants(db)).violations).toEqual([]);
    });

    it('charges a subscription period once per reference and never below zero', async () => {
      const ops = ledger.createLedgerService();
      const owner = await fundedWallet(3000);
      const charge = (reference: string) =>
        db.transaction((tx) =>
          ops.chargeSubscription(tx, { ownerId: owner, amount: 2500, reference, memo: 'plan' }),
        );
      const results = await Promise.all([charge(`sub:${owner}:p1`), charge(`sub:${owner}:p1`)]);
      expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
      expect((await ledger.walletSummary(db, owner)).balance).toBe(500);
      await expect(charge(`sub:${owner}:p2`)).rejects.toMatchObject({ code: 'insufficient_funds' });
      expect((await ledger.walletSummary(db, owner)).balance).toBe(500);
      expect((await checkLedgerInvariants(db)).violations).toEqual([]);
    });

    it('included usage: granted, held before USD only when it covers the amount, expired, restored on release', async () => {
      const ops = ledger.createLedgerService();
      const owner = await fundedWallet(1000);
      const INCLUDED = ledger.INCLUDED_USAGE_CURRENCY;
      await db.transaction((tx) =>
        ops.grantIncludedUsage(tx, { ownerId: owner, amount: 1500, reference: `p1:${owner}`, memo: 'grant' }),
      );
      const first = await db.transaction((tx) =>
        ops.holdIncludedUsage(tx, { ownerId: owner, amount: 1000, reference: `u1:${owner}`, memo: 'use' }),
      );
      expect(first?.hold).toMatchObject({ currency: INCLUDED, amount: 1000 });
      // 500 left does not cover 600: nothing is held, and the same transaction goes on to pay in USD.
      const fallback = await db.transaction(async (tx) => {
        const included = await ops.holdIncludedUsage(tx, {
          ownerId: owner,
          amount: 600,
          reference: `u2:${owner}`,
          memo: 'use',
        });
        const usd = await ledger.hold(tx, {
          ownerId: owner,
          amount: 600,
          reference: `u2:${owner}`,
          memo: 'use',
        });
        return { included, usd };
      });
      expect(fallback.included).toBeUndefined();
      expect(fallback.usd.hold.currency).toBe('USD');
      expect(await ledger.walletSummary(db, owner, INCLUDED)).toEqual({ balance: 500, held: 1000 });
      // The period ends: what is left expires; an order released later gets its usage back.
      const expired = await db.transaction((tx) =>
        ops.expireIncludedUsage(tx, { ownerId: owner, reference: `p2:${owner}`, memo: 'expire' }),
      );
      expect(expired).toBe(500);
      await db.transaction((tx) => ledger.release(tx, first!.hold.id));
      expect(await ledger.walletSummary(db, owner, INCLUDED)).toEqual({ balance: 1000, held: 0 });
      expect((await checkLedgerInvariants(db)).violations).toEqual([]);
    });

    it('the invariant checker reports drift it did not cause', async () => {
      const owner = await fundedWallet(100);
      // Simulate a bug that bypassed the ledger: the cached balance no longer matches the entries.
      await db.execute(sql`update wallets set balance = balance + 7 where owner_id = ${owner}`);
      const report = await checkLedgerInvariants(db);
      expect(report.ok).toBe(false);
      expect(report.violations).toContainEqual(
        expect.objectContaining({ rule: 'wallet_matches_entries', subject: owner }),
      );
      await db.execute(sql`update wallets set balance = balance - 7 where owner_id = ${owner}`);
      expect((await checkLedgerInvariants(db)).ok).toBe(true);
    });
  });
}
