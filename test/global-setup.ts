import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import pg from 'pg';
import { MIGRATIONS_FOLDER, openDatabase } from '../src/platform/db/database.js';
import { ensureWebBuild } from '../scripts/web-build.js';
import { TEST_DATABASE_URL, TEST_REDIS_URL, databaseUrl } from './support/services.js';

/**
 * Integration tests run against the real PostgreSQL and Redis. If either is unreachable the run
 * fails here, loudly, instead of skipping. The migrated schema is built once into a template
 * database that every test file clones (a clone takes milliseconds, migrations take seconds).
 */
export default async function setup({ provide }: { provide: (key: string, value: unknown) => void }) {
  // The browser tests and the build-output checks need web/dist; a fresh clone has none.
  await ensureWebBuild({ quiet: true });
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 5_000 });
  try {
    await admin.connect();
  } catch (error) {
    throw new Error(`PostgreSQL is unreachable at ${TEST_DATABASE_URL}: ${(error as Error).message}`);
  }
  const redis = new Redis(TEST_REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    connectTimeout: 5_000,
  });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new Error(`Redis is unreachable at ${TEST_REDIS_URL}: ${(error as Error).message}`);
  } finally {
    redis.disconnect();
  }

  const migrations = createHash('sha256');
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- the repo's own migrations folder
  for (const file of readdirSync(MIGRATIONS_FOLDER)
    .filter((f) => f.endsWith('.sql'))
    .sort()) {
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- the repo's own migrations folder
    migrations.update(file).update(readFileSync(`${MIGRATIONS_FOLDER}/${file}`));
  }
  const template = `namaskah_tpl_${migrations.digest('hex').slice(0, 12)}`;
  const exists = await admin.query('select 1 from pg_database where datname = $1', [template]);
  if (exists.rowCount === 0) {
    const building = `${template}_${process.pid}`;
    await admin.query(`create database "${building}"`);
    const database = await openDatabase({ kind: 'pg', url: databaseUrl(building), poolSize: 2 });
    await database.migrate();
    await database.close();
    await admin.query(`alter database "${building}" rename to "${template}"`).catch(async () => {
      await admin.query(`drop database if exists "${building}"`);
    });
  }
  // Databases left behind by interrupted runs (named with their creation time); a concurrent run's
  // databases are younger than the cut-off and stay.
  const cutoff = Math.floor(Date.now() / 1000) - 2 * 3600;
  // Another checkout's template (other migrations) may be in use by a concurrent run: only templates
  // untouched for the cut-off are dropped.
  const stale = await admin.query<{ datname: string }>(
    `select datname from pg_database
      where datname like 'namaskah\\_t\\_%'
         or (datname like 'namaskah\\_tpl\\_%' and datname <> $1
             and (pg_stat_file('base/' || oid || '/PG_VERSION')).modification < now() - interval '2 hours')`,
    [template],
  );
  for (const { datname } of stale.rows) {
    const created = Number(/^namaskah_t_(\d+)_/.exec(datname)?.[1] ?? 0);
    if (datname.startsWith('namaskah_t_') && created > cutoff) continue;
    await admin.query(`drop database if exists "${datname}" with (force)`).catch(() => undefined);
  }
  await admin.end();
  provide('templateDatabase', template);
}

declare module 'vitest' {
  export interface ProvidedContext {
    templateDatabase: string;
  }
}
