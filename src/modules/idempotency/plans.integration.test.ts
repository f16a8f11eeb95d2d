import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDatabase, createPostgresTestDatabase } from '../../../test/support/database.js';
import { planCounts, seqScans } from '../../../test/support/plans.js';
import { claimMany, completeMany } from './store.js';

/**
 * Every idempotent request claims a key and stores its answer, in statements shared by the
 * requests of a moment (arrays). They run on plans made once per connection, and find their rows
 * by key whatever the table's size was when the plan was made (migration 0017).
 */
describe('the idempotency statements’ plans', () => {
  let testDb: TestDatabase;
  // One connection: its prepared statements and statistics are the ones read.
  beforeAll(async () => {
    testDb = await createPostgresTestDatabase(1);
  });
  afterAll(async () => {
    await testDb?.dispose();
  });

  async function claimAndComplete(): Promise<void> {
    const keys = [randomUUID(), randomUUID()].map((key) => ({
      principal: 'user:plans',
      key,
      fingerprint: 'f',
    }));
    expect(await claimMany(testDb.database.db, keys, 60)).toEqual([true, true]);
    await completeMany(
      testDb.database.db,
      keys.map((k) => ({ principal: k.principal, key: k.key, status: 201, body: '{}', headers: {} })),
    );
  }

  // First in the file: the table is empty when the plan is made.
  it('keep reading rows by key on a plan made while the table was empty', async () => {
    for (let round = 0; round < 8; round++) await claimAndComplete();
    // The table grows; nothing tells the cached plan (no ANALYZE yet).
    await testDb.database.sql.query(`
      insert into idempotency_keys (principal, key, fingerprint, status, lease_expires_at)
      select 'user:' || (g % 500), 'grown-' || g, 'f', 'completed', now() from generate_series(1, 20000) g`);
    const before = await seqScans(testDb.database, 'idempotency_keys');
    for (let round = 0; round < 4; round++) await claimAndComplete();
    expect(await seqScans(testDb.database, 'idempotency_keys')).toBe(before);
  });

  it('are planned once per connection, not at every small batch', async () => {
    // The grown table's statistics: with them, a plan made for two keys looks cheaper than the
    // cached one, which counts ten.
    await testDb.database.sql.query('analyze idempotency_keys');
    const before = await planCounts(testDb.database);
    for (let round = 0; round < 12; round++) await claimAndComplete();
    const after = await planCounts(testDb.database);
    for (const name of ['idempotency_claim', 'idempotency_complete']) {
      expect(after[name]!.custom - (before[name]?.custom ?? 0), name).toBe(0);
    }
  });
});
