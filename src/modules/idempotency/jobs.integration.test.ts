import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDatabase, createPostgresTestDatabase } from '../../../test/support/database.js';
import { rawRows } from '../../platform/db/raw.js';
import { Jobs } from '../../platform/jobs.js';
import { PRUNE_IDEMPOTENCY_KEYS, defineIdempotencyJobs } from './jobs.js';

let testDb: TestDatabase;
beforeAll(async () => {
  testDb = await createPostgresTestDatabase(2);
});
afterAll(async () => {
  await testDb?.dispose();
});

async function key(name: string, hoursAgo: number) {
  await testDb.database.db.execute(sql`
    insert into idempotency_keys (principal, key, fingerprint, status, created_at, lease_expires_at)
    values ('user:jobs-test', ${name}, 'f', 'completed',
            now() - make_interval(mins => ${Math.round(hoursAgo * 60)}), now())`);
}

describe('idempotency jobs', () => {
  it('the hourly prune removes keys older than the configured time to live, and only those', async () => {
    const jobs = new Jobs(testDb.database.sql, { error: () => undefined, info: () => undefined });
    defineIdempotencyJobs(jobs, { db: testDb.database.db, ttlHours: 2 });
    await key('three-hours', 3);
    await key('one-hour', 1);
    await key('just-now', 0);

    await jobs.runNow(PRUNE_IDEMPOTENCY_KEYS);

    const left = await rawRows<{ key: string }>(
      testDb.database.db,
      sql`select key from idempotency_keys where principal = 'user:jobs-test' order by key`,
    );
    expect(left.map((row) => row.key)).toEqual(['just-now', 'one-hour']);
  });
});
