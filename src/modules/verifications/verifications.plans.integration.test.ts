import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../../platform/db/database.js';
import { claimMany, completeMany } from '../idempotency/store.js';
import { WALLET_CURRENCY } from '../ledger/index.js';
import { holdReference } from './domain.js';
import * as store from './store.js';
import {
  expectLedgerOk,
  fundedUser,
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

  /** One connection's sequential scans of a table so far (its own statistics, flushed first). */
  async function seqScans(database: Database, table: string): Promise<number> {
    await database.sql.query('select pg_stat_force_next_flush()');
    await database.sql.query('select pg_stat_clear_snapshot()');
    const { rows } = await database.sql.query(
      'select coalesce(seq_scan, 0)::int as n from pg_stat_user_tables where relname = $1',
      [table],
    );
    return (rows[0] as { n: number }).n;
  }

  // First in the file: the idempotency table is still empty when the plan is made.
  it('keep reading rows by key on a plan made while their table was empty', async () => {
    const one = await openDatabase({ kind: 'pg', url: suiteDatabaseUrl(), poolSize: 1 });
    try {
      const complete = async () => {
        const keys = [randomUUID(), randomUUID()].map((key) => ({
          principal: 'user:plans',
          key,
          fingerprint: 'f',
        }));
        expect(await claimMany(one.db, keys, 60)).toEqual([true, true]);
        await completeMany(
          one.db,
          keys.map((k) => ({ principal: k.principal, key: k.key, status: 201, body: '{}', headers: {} })),
        );
      };
      for (let round = 0; round < 8; round++) await complete();
      // The table grows; nothing tells the cached plan (no ANALYZE yet).
      await one.sql.query(`
        insert into idempotency_keys (principal, key, fingerprint, status, lease_expires_at)
        select 'user:' || (g % 500), 'grown-' || g, 'f', 'completed', now() from generate_series(1, 20000) g`);
      const before = await seqScans(one, 'idempotency_keys');
      for (let round = 0; round < 4; round++) await complete();
      expect(await seqScans(one, 'idempotency_keys')).toBe(before);
    } finally {
      await one.close();
    }
  });

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
      await one.sql.query(`
        insert into idempotency_keys (principal, key, fingerprint, status, lease_expires_at)
        select 'user:' || (g % 500), 'old-' || g, 'f', 'completed', now() from generate_series(1, 20000) g`);
      await one.sql.query('analyze verifications, idempotency_keys');
      const user = await fundedUser(1_000_000);
      for (let round = 0; round < ROUNDS; round++) {
        // Two purchases in one turn of the event loop: batches of two.
        const ids = [randomUUID(), randomUUID()];
        const opened = await Promise.all(
          ids.map((id) =>
            store.openOrder(
              one.db,
              {
                id,
                userId: user.userId,
                maxOpenOrders: 1_000,
                service: 'whatsapp',
                country: 'US',
                capability: 'sms',
                options: {},
                priceCents: 250,
                providerCostCents: 200,
                provider: 'textverified',
                holdReference: holdReference(id),
                memo: 'Verification whatsapp',
                charges: [{ currency: WALLET_CURRENCY, amount: 250 }],
              },
              null,
            ),
          ),
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
        const keys = ids.map((id) => ({ principal: `user:${user.userId}`, key: id, fingerprint: 'f' }));
        expect(await claimMany(one.db, keys, 60)).toEqual([true, true]);
        await completeMany(
          one.db,
          keys.map((k) => ({ principal: k.principal, key: k.key, status: 201, body: '{}', headers: {} })),
        );
      }
      const { rows } = await one.sql.query(
        'select name, generic_plans::int as generic, custom_plans::int as custom from pg_prepared_statements order by name',
      );
      const plans = Object.fromEntries(rows.map((r) => [r.name, { generic: r.generic, custom: r.custom }]));
      for (const name of [
        'verification_open_many',
        'verification_activate_pending',
        'idempotency_claim',
        'idempotency_complete',
      ]) {
        // PostgreSQL's rule: custom plans for the first five executions, then the cached one.
        expect(plans[name], name).toEqual({ custom: 5, generic: ROUNDS - 5 });
      }
      await expectLedgerOk();
    } finally {
      await one.close();
    }
  });
});
