import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { rawRows } from '../../platform/db/raw.js';
import * as store from './store.js';
import {
  db,
  expectLedgerOk,
  fundedUser,
  opening,
  useVerificationsSuite,
  wallet,
} from './verifications.suite.js';

useVerificationsSuite();

/** The transaction that wrote each order: one statement, one transaction. */
const writers = async (ids: string[]) =>
  rawRows<{ xmin: string }>(
    db,
    sql`select xmin::text as xmin from verifications where id in (${sql.join(
      ids.map((id) => sql`${id}::uuid`),
      sql`, `,
    )})`,
  );

describe('batched opening (phase 1 of a purchase)', () => {
  it('opens the purchases of one turn in one statement, each answered as on its own', async () => {
    const [a, b, c] = [await fundedUser(1_000), await fundedUser(100), await fundedUser(1_000)];
    const first = opening(a.userId, { maxOpenOrders: 1 });
    const answers = await Promise.all([
      store.openOrder(db, first, null),
      // The same user again in the same batch: it counts the order opened just before it.
      store.openOrder(db, opening(a.userId, { maxOpenOrders: 1 }), null),
      store.openOrder(db, opening(b.userId), null),
      store.openOrder(db, opening(c.userId), null),
    ]);
    expect(answers.map((answer) => answer.outcome)).toEqual([
      'created',
      'active_limit_reached',
      'insufficient_funds',
      'created',
    ]);
    const created = answers.flatMap((answer) => ('order' in answer ? [answer.order.id] : []));
    expect(new Set((await writers(created)).map((row) => row.xmin)).size).toBe(1);
    expect((await wallet(a.userId)).balance).toBe(750);
    expect((await wallet(c.userId)).balance).toBe(750);

    // The same id again, later: the order it opened, not a second hold.
    const replay = await store.openOrder(db, first, null);
    expect(replay).toMatchObject({ outcome: 'exists', order: { id: first.id, status: 'pending' } });
    expect((await wallet(a.userId)).balance).toBe(750);
    // The same id named by someone else: not theirs to see, and nothing held from them.
    expect(await store.openOrder(db, opening(c.userId, { id: first.id }), null)).toEqual({
      outcome: 'not_found',
    });
    expect((await wallet(c.userId)).balance).toBe(750);
    await expectLedgerOk();
  });

  it('a purchase that breaks the batch fails alone; the others open and the failed one holds nothing', async () => {
    const [a, b] = [await fundedUser(1_000), await fundedUser(1_000)];
    const [good, bad, other] = await Promise.allSettled([
      store.openOrder(db, opening(a.userId), null),
      // Refused by the table's CHECK after its hold was taken: its whole statement rolls back.
      store.openOrder(
        db,
        opening(b.userId, { provider: 'nobody' as store.OpenOrderInput['provider'] }),
        null,
      ),
      store.openOrder(db, opening(b.userId), null),
    ]);
    expect(good).toMatchObject({ status: 'fulfilled', value: { outcome: 'created' } });
    expect(bad).toMatchObject({ status: 'rejected' });
    expect(other).toMatchObject({ status: 'fulfilled', value: { outcome: 'created' } });
    expect((await wallet(a.userId)).balance).toBe(750);
    expect((await wallet(b.userId)).balance).toBe(750);
    await expectLedgerOk();
  });

  it('in a transaction, opens on its own and commits or rolls back with it', async () => {
    const a = await fundedUser(1_000);
    const input = opening(a.userId);
    await expect(
      db.transaction(async (tx) => {
        const answer = await store.openOrder(tx, input, null, { inTransaction: true });
        expect(answer.outcome).toBe('created');
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect(await store.findById(db, input.id)).toBeUndefined();
    expect((await wallet(a.userId)).balance).toBe(1_000);
  });
});
