import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobDefinition, Jobs } from '../../platform/jobs.js';
import { createLogger } from '../../platform/logger.js';
import { testConfig } from '../../../test/support/app.js';
import { type TestDatabase, createPostgresTestDatabase } from '../../../test/support/database.js';
import { PRUNE_ACCOUNTS, defineAccountsJobs } from './jobs.js';
import { pruneAccountRecords } from './pruning.js';
import { createAuditService } from '../audit/index.js';
import { createLedgerService } from '../ledger/index.js';
import { SEND_ACCOUNT_MAIL } from './mail.js';
import { createAccountsService } from './service.js';

let testDb: TestDatabase;

beforeAll(async () => {
  testDb = await createPostgresTestDatabase(4);
}, 60_000);

afterAll(async () => {
  await testDb?.dispose();
});

const query = (text: string, values: unknown[] = []) => testDb.database.sql.query(text, values);

async function insertUser(): Promise<string> {
  const rows = await query(`insert into users (email, password_hash) values ($1, 'x') returning id`, [
    `prune-${randomUUID().slice(0, 8)}@example.test`,
  ]);
  return rows.rows[0]!.id as string;
}

/** A session (with two refresh tokens), its times given as SQL intervals relative to now. */
async function insertSession(userId: string, times: { expires: string; revoked?: string }): Promise<string> {
  const rows = await query(
    `insert into sessions (user_id, expires_at, revoked_at)
     values ($1, now() + $2::interval, now() + $3::interval) returning id`,
    [userId, times.expires, times.revoked ?? null],
  );
  const id = rows.rows[0]!.id as string;
  for (let i = 0; i < 2; i++)
    await query(`insert into refresh_tokens (session_id, token_hash) values ($1, $2)`, [id, randomUUID()]);
  return id;
}

async function insertEmailToken(userId: string, times: { expires: string; used?: string }): Promise<string> {
  const rows = await query(
    `insert into email_tokens (user_id, purpose, token_hash, expires_at, used_at)
     values ($1, 'password_reset', $2, now() + $3::interval, now() + $4::interval) returning id`,
    [userId, randomUUID(), times.expires, times.used ?? null],
  );
  return rows.rows[0]!.id as string;
}

describe('pruning account records', () => {
  it('deletes what has ended long enough ago and keeps the rest', async () => {
    const userId = await insertUser();
    const sessions = {
      live: await insertSession(userId, { expires: '20 days' }),
      justExpired: await insertSession(userId, { expires: '-2 days' }),
      longExpired: await insertSession(userId, { expires: '-31 days' }),
      recentlyRevoked: await insertSession(userId, { expires: '10 days', revoked: '-29 days' }),
      longRevoked: await insertSession(userId, { expires: '1 day', revoked: '-31 days' }),
    };
    const tokens = {
      pending: await insertEmailToken(userId, { expires: '20 minutes' }),
      justUsed: await insertEmailToken(userId, { expires: '10 minutes', used: '-1 hour' }),
      usedLongAgo: await insertEmailToken(userId, { expires: '-1 day', used: '-2 days' }),
      justExpired: await insertEmailToken(userId, { expires: '-2 hours' }),
      expiredLongAgo: await insertEmailToken(userId, { expires: '-25 hours' }),
    };
    await query(
      `insert into captcha_uses (challenge_id, expires_at) values
       ('captcha-live', now() + interval '5 minutes'), ('captcha-expired', now() - interval '1 minute')`,
    );
    await query(
      `insert into login_failures (subject, failures, last_failure_at) values
       ('email:recent@example.test', 2, now() - interval '10 minutes'),
       ('ip:192.0.2.1', 4, now() - interval '59 minutes'),
       ('email:stale@example.test', 3, now() - interval '2 hours'),
       ('ip:192.0.2.2', 9, now() - interval '3 days')`,
    );

    const counts = await pruneAccountRecords(testDb.database.db);
    expect(counts).toEqual({ sessions: 2, emailTokens: 2, captchaUses: 1, loginFailures: 2 });

    const ids = async (table: string) =>
      (await query(`select id from ${table}`)).rows.map((row) => row.id as string).sort();
    expect(await ids('sessions')).toEqual(
      [sessions.live, sessions.justExpired, sessions.recentlyRevoked].sort(),
    );
    // The refresh tokens of deleted sessions went with them; the others stayed.
    const refresh = await query(`select session_id, count(*)::int as n from refresh_tokens group by 1`);
    expect(refresh.rows.map((row) => row.session_id as string).sort()).toEqual(
      [sessions.live, sessions.justExpired, sessions.recentlyRevoked].sort(),
    );
    expect(refresh.rows.every((row) => row.n === 2)).toBe(true);
    expect(await ids('email_tokens')).toEqual([tokens.pending, tokens.justUsed, tokens.justExpired].sort());
    expect((await query(`select challenge_id from captcha_uses`)).rows).toEqual([
      { challenge_id: 'captcha-live' },
    ]);
    expect(
      (await query(`select subject from login_failures order by subject`)).rows.map((row) => row.subject),
    ).toEqual(['email:recent@example.test', 'ip:192.0.2.1']);
    // The user is untouched.
    expect((await query(`select id from users where id = $1`, [userId])).rows).toHaveLength(1);

    // A second run finds nothing more to do.
    expect(await pruneAccountRecords(testDb.database.db)).toEqual({
      sessions: 0,
      emailTokens: 0,
      captchaUses: 0,
      loginFailures: 0,
    });
  });

  it('deletes in batches beyond one batch', async () => {
    const userId = await insertUser();
    await query(
      `insert into sessions (user_id, expires_at)
       select $1, now() - interval '40 days' from generate_series(1, 2500)`,
      [userId],
    );
    expect((await pruneAccountRecords(testDb.database.db)).sessions).toBe(2500);
    expect(
      (await query(`select count(*)::int as n from sessions where user_id = $1`, [userId])).rows,
    ).toEqual([{ n: 0 }]);
  });

  it('runs daily as the accounts.prune job', async () => {
    const defined: JobDefinition[] = [];
    const jobs = { define: (definition: JobDefinition) => void defined.push(definition) } as unknown as Jobs;
    const db = testDb.database.db;
    const logger = createLogger('silent');
    const accounts = createAccountsService({
      db,
      config: testConfig(),
      logger,
      mailer: undefined,
      jobs,
      ledger: createLedgerService(),
      audit: createAuditService({ db }),
    });
    defineAccountsJobs(jobs, { logger, accounts });
    expect(defined.map((d) => [d.name, d.cron])).toEqual([
      [SEND_ACCOUNT_MAIL, undefined],
      [PRUNE_ACCOUNTS, '17 3 * * *'],
    ]);
    await query(
      `insert into captcha_uses (challenge_id, expires_at) values ('job-expired', now() - interval '1 hour')`,
    );
    await defined[1]!.handler({}, { signal: new AbortController().signal });
    expect((await query(`select 1 from captcha_uses where challenge_id = 'job-expired'`)).rows).toHaveLength(
      0,
    );
  });
});
