import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDatabase, createPostgresTestDatabase } from '../../../test/support/database.js';
import { planCounts, seqScans } from '../../../test/support/plans.js';
import { claimAndComplete } from './store.js';

/**
 * Every idempotent request claims a key and stores its answer, in statements shared by the
 * requests of a moment (arrays). They run on plans made once per connection, and find their rows
 * by key whatever the table's size was when the plan was made (migrations 0017 and 0018).
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

  async function claimThenAnswer(): Promise<void> {
    const keys = [randomUUID(), randomUUID()].map((key) => ({
      principal: 'user:plans',
      key,
      fingerprint: 'f',
    }));
    const db = testDb.database.db;
    expect(await claimAndComplete(db, { claims: keys, answers: [] }, 60)).toEqual([true, true]);
    const answers = keys.map((k) => ({
      principal: k.principal,
      key: k.key,
      status: 201,
      body: '{}',
      headers: {},
    }));
    expect(await claimAndComplete(db, { claims: [], answers }, 60)).toEqual([]);
  }

  // First in the file: the table is empty when the plan is made.
  it('keep reading rows by key on a plan made while the table was empty', async () => {
    for (let round = 0; round < 8; round++) await claimThenAnswer();
    // The table grows; nothing tells the cached plan (no ANALYZE yet).
    await testDb.database.sql.query(`
      insert into idempotency_keys (principal, key, fingerprint, status, lease_expires_at)
      select 'user:' || (g % 500), 'grown-' || g, 'f', 'completed', now() from generate_series(1, 20000) g`);
    const before = await seqScans(testDb.database, 'idempotency_keys');
    for (let round = 0; round < 4; round++) await claimThenAnswer();
    expect(await seqScans(testDb.database, 'idempotency_keys')).toBe(before);
  });

  it('are planned once per connection, not at every small batch', async () => {
    // The grown table's statistics: with them, a plan made for two keys looks cheaper than the
    // cached one, which counts ten.
    await testDb.database.sql.query('analyze idempotency_keys');
    const before = await planCounts(testDb.database);
    for (let round = 0; round < 12; round++) await claimThenAnswer();
    const after = await planCounts(testDb.database);
    const name = 'idempotency_claim_complete';
    expect(after[name]!.generic - (before[name]?.generic ?? 0)).toBe(24);
    expect(after[name]!.custom - (before[name]?.custom ?? 0)).toBe(0);
  });
});
