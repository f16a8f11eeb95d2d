import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../platform/db/database.js';
import { planCounts } from '../../../test/support/plans.js';
import * as store from './store.js';
import {
  expectLedgerOk,
  fundedUser,
  opening,
  suiteDatabaseUrl,
  useVerificationsSuite,
} from './verifications.suite.js';

useVerificationsSuite();

/**
 * A purchase's batched statements take arrays, whose length a cached (generic) plan cannot know:
 * PostgreSQL then planned the small batches of a busy moment afresh at every execution (a custom
 * plan looked cheaper), a tenth of its CPU under load. They run on plans made once per connection.
 */
describe('the purchase path’s statements', () => {
  const ROUNDS = 12;

  it('are planned once per connection, not at every batch', async () => {
    const one = await openDatabase({ kind: 'pg', url: suiteDatabaseUrl(), poolSize: 1 });
    try {
      // Tables of a live service: a plan made for the actual arrays looks cheaper than the cached
      // one only once an index lookup costs more than reading a page or two.
      await one.sql.query(`
        insert into verifications (id, user_id, service, country, capability, price_cents, charge_amount,
                                   currency, provider_cost_cents, status)
        select gen_random_uuid(), gen_random_uuid(), 'whatsapp', 'US', 'sms', 250, 250, 'USD', 200, 'expired'
          from generate_series(1, 20000)`);
      await one.sql.query('analyze verifications');
      const user = await fundedUser(1_000_000);
      for (let round = 0; round < ROUNDS; round++) {
        // Two purchases in one turn of the event loop: batches of two.
        const ids = [randomUUID(), randomUUID()];
        const opened = await Promise.all(
          ids.map((id) => store.openOrder(one.db, opening(user.userId, { id, maxOpenOrders: 1_000 }), null)),
        );
        expect(opened.map((o) => o.outcome)).toEqual(['created', 'created']);
        const active = await Promise.all(
          ids.map((id) =>
            store.activatePending(one.db, id, {
              providerId: `plan-${id}`,
              phoneNumber: '+15550001234',
              endsAt: new Date(Date.now() + 900_000),
            }),
          ),
        );
        expect(active.map((row) => row?.status)).toEqual(['active', 'active']);
      }
      const plans = await planCounts(one);
      // PostgreSQL's rule: custom plans for the first five executions, then the cached one.
      expect(plans.verification_open_activate).toEqual({ custom: 5, generic: 2 * ROUNDS - 5 });
      await expectLedgerOk();
    } finally {
      await one.close();
    }
  });

  it('share one statement when an opening and an activation come in the same moment', async () => {
    const one = await openDatabase({ kind: 'pg', url: suiteDatabaseUrl(), poolSize: 1 });
    try {
      const user = await fundedUser(10_000);
      const executions = async () => {
        const plans = (await planCounts(one)).verification_open_activate;
        return (plans?.custom ?? 0) + (plans?.generic ?? 0);
      };
      const bought = opening(user.userId);
      expect((await store.openOrder(one.db, bought, null)).outcome).toBe('created');
      const before = await executions();
      const [activated, opened] = await Promise.all([
        store.activatePending(one.db, bought.id, {
          providerId: `shared-${bought.id}`,
          phoneNumber: '+15550001234',
          endsAt: new Date(Date.now() + 900_000),
        }),
        store.openOrder(one.db, opening(user.userId), null),
      ]);
      expect(activated).toMatchObject({ id: bought.id, status: 'active', phoneNumber: '+15550001234' });
      expect(activated!.endsAt).toBeInstanceOf(Date);
      expect(opened.outcome).toBe('created');
      expect(await executions()).toBe(before + 1);
      await expectLedgerOk();
    } finally {
      await one.close();
    }
  });
});
