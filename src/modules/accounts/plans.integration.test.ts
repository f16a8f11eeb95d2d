import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDatabase, createPostgresTestDatabase } from '../../../test/support/database.js';
import { planCounts, seqScans } from '../../../test/support/plans.js';
import { liveSessionsWithUsers } from './store.js';

/**
 * Every signed-in request checks its session, in a statement shared by the requests of a moment
 * (an array of ids). It runs on a plan made once per connection, and finds sessions by key whatever
 * the table's size was when the plan was made (migration 0017).
 */
describe('the session check’s plan', () => {
  let testDb: TestDatabase;
  let live: { sessionId: string; userId: string };
  // One connection: its prepared statements and statistics are the ones read.
  beforeAll(async () => {
    testDb = await createPostgresTestDatabase(1);
    const { rows } = await testDb.database.sql.query(`
      with account as (
        insert into users (email, password_hash) values ('plans@example.test', 'x') returning id
      )
      insert into sessions (user_id, expires_at)
      select id, now() + interval '1 day' from account
      returning id::text as "sessionId", user_id::text as "userId"`);
    live = rows[0] as { sessionId: string; userId: string };
  });
  afterAll(async () => {
    await testDb?.dispose();
  });

  async function check(): Promise<void> {
    const [found, unknown] = await liveSessionsWithUsers(testDb.database.db, [
      live,
      { sessionId: randomUUID(), userId: live.userId },
    ]);
    expect(found?.session.id).toBe(live.sessionId);
    expect(found?.user.email).toBe('plans@example.test');
    expect(found?.session.expiresAt).toBeInstanceOf(Date);
    expect(unknown).toBeUndefined();
  }

  // First in the file: the tables are nearly empty when the plan is made.
  it('keeps finding sessions by key on a plan made while the table was nearly empty', async () => {
    for (let round = 0; round < 8; round++) await check();
    await testDb.database.sql.query(`
      with account as (
        insert into users (email, password_hash)
        select 'grown-' || g || '@example.test', 'x' from generate_series(1, 20000) g returning id
      )
      insert into sessions (user_id, expires_at) select id, now() + interval '1 day' from account`);
    const before = await seqScans(testDb.database, 'sessions');
    for (let round = 0; round < 4; round++) await check();
    expect(await seqScans(testDb.database, 'sessions')).toBe(before);
  });

  it('is planned once per connection, not at every small batch', async () => {
    await testDb.database.sql.query('analyze users, sessions');
    const before = (await planCounts(testDb.database)).accounts_live_sessions?.custom ?? 0;
    for (let round = 0; round < 12; round++) await check();
    expect((await planCounts(testDb.database)).accounts_live_sessions?.custom).toBe(before);
  });
});
