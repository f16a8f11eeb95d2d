import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { type Database, openDatabase, openInMemoryPglite } from '../../src/platform/db/database.js';
import { TEST_DATABASE_URL, databaseUrl } from './services.js';

export interface TestDatabase {
  database: Database;
  url: string | undefined;
  /** Closes the connections and drops the database. */
  dispose(): Promise<void>;
}

/** A fresh, migrated PostgreSQL database of its own for one test file. */
export async function createPostgresTestDatabase(poolSize = 20): Promise<TestDatabase> {
  const name = `namaskah_t_${Math.floor(Date.now() / 1000)}_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`create database "${name}" template "${inject('templateDatabase')}"`);
  await admin.end();
  const url = databaseUrl(name);
  // Tests fire a thousand requests at a 20-connection pool on two busy cores: let them queue.
  const database = await openDatabase({ kind: 'pg', url, poolSize }, { connectionTimeoutMs: 120_000 });
  return {
    database,
    url,
    dispose: async () => {
      await database.close().catch(() => undefined);
      const cleaner = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await cleaner.connect();
      await cleaner.query(`drop database if exists "${name}" with (force)`);
      await cleaner.end();
    },
  };
}

/** A migrated in-memory PGlite, the embedded default's engine. */
export async function createPgliteTestDatabase(): Promise<TestDatabase> {
  const database = await openInMemoryPglite();
  await database.migrate();
  return { database, url: undefined, dispose: () => database.close() };
}
