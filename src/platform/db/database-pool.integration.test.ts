import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDatabase, createPostgresTestDatabase } from '../../../test/support/database.js';
import { type Database, openDatabase } from './database.js';

/** The kept connections (DATABASE_POOL_MIN) are opened at start, side by side, and stay open. */
describe('the pool opens its kept connections at start', () => {
  let direct: TestDatabase;
  const opened: Database[] = [];
  const databaseName = () => new URL(direct.url!).pathname.slice(1);
  const backends = async () => {
    const { rows } = await direct.database.sql.query(
      `select count(*)::int as n from pg_stat_activity where datname = $1 and backend_type = 'client backend'`,
      [databaseName()],
    );
    return Number(rows[0]!.n);
  };

  beforeAll(async () => {
    direct = await createPostgresTestDatabase(1);
    await direct.database.ping();
  });
  afterAll(async () => {
    for (const database of opened) await database.close().catch(() => undefined);
    await direct?.dispose();
  });

  it('warm() opens poolMin connections, no more, before any request', async () => {
    const before = await backends();
    const database = await openDatabase({ kind: 'pg', url: direct.url!, poolSize: 6, poolMin: 4 });
    opened.push(database);
    expect(await backends()).toBe(before);
    await database.warm();
    expect(await backends()).toBe(before + 4);
    // Used and released, they stay open: the next burst finds them ready.
    await Promise.all(Array.from({ length: 4 }, () => database.ping()));
    expect(await backends()).toBe(before + 4);
  });

  it('opens none without poolMin (direct callers and tests)', async () => {
    const before = await backends();
    const database = await openDatabase({ kind: 'pg', url: direct.url!, poolSize: 6 });
    opened.push(database);
    await database.warm();
    expect(await backends()).toBe(before);
  });

  it('fails loudly when the server cannot be reached (the runtime logs it and serves on)', async () => {
    const database = await openDatabase(
      { kind: 'pg', url: 'postgres://postgres@127.0.0.1:1/nowhere', poolSize: 2, poolMin: 2 },
      { connectionTimeoutMs: 1_000 },
    );
    opened.push(database);
    await expect(database.warm()).rejects.toThrow();
  });
});
