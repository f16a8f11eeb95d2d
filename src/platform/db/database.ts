import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import pg from 'pg';
import type { Config } from '../config.js';
import { lockDataDir } from './data-dir-lock.js';
import { type PgliteClient, PgliteOnThread, takePrestartedPglite } from './pglite-on-thread.js';
import { PGLITE_START_PARAMS, seedPgliteFolder } from './pglite-template.js';
import { useUnnamedStatements } from './prepared.js';

/**
 * One type for both drivers; a transaction handle is also a `Db`. No schema is attached: every
 * query names its module's tables (stores import them), and nothing uses the relational
 * `db.query.*` API, so the platform needs no list of the modules' tables.
 */
export type Db = PgDatabase<PgQueryResultHKT>;

/** Plain SQL access for infrastructure that brings its own SQL (pg-boss, health checks). */
export interface SqlClient {
  query(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
  /** Several statements, no parameters (PGlite's `exec`; pg accepts them through `query`). */
  exec(text: string): Promise<{ rows: Record<string, unknown>[] }>;
}

export interface Database {
  kind: 'pg' | 'pglite';
  db: Db;
  sql: SqlClient;
  ping(): Promise<void>;
  migrate(): Promise<void>;
  /**
   * Opens the pool's kept connections now (`poolMin`), so the first burst of requests does not
   * wait for them to be made; a no-op for PGlite (one connection, already open).
   */
  warm(): Promise<void>;
  close(): Promise<void>;
  /**
   * Settles with the reason if the database stops without being closed: the embedded database's
   * thread crashed. Never for PostgreSQL, whose outages are waited out (clients get 503).
   */
  lost?: Promise<Error>;
}

export const MIGRATIONS_FOLDER = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../drizzle',
);

export async function openDatabase(
  config: Config['database'],
  options: { connectionTimeoutMs?: number } = {},
): Promise<Database> {
  return config.kind === 'pg'
    ? openPostgres(config.url, {
        poolSize: config.poolSize,
        poolMin: Math.min(config.poolMin ?? 0, config.poolSize),
        connectionTimeoutMs: options.connectionTimeoutMs ?? 10_000,
        namedStatements: config.namedStatements ?? true,
      })
    : openPglite(config.dataDir);
}

interface PoolOptions {
  poolSize: number;
  poolMin: number;
  connectionTimeoutMs: number;
  namedStatements: boolean;
}

function openPostgres(
  url: string,
  { poolSize, poolMin, connectionTimeoutMs, namedStatements }: PoolOptions,
): Database {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    // Idle connections above this are closed after idleTimeoutMillis; these stay.
    min: poolMin,
    // Waiting longer than this for a pooled connection fails the request (503) instead of queueing forever.
    connectionTimeoutMillis: connectionTimeoutMs,
    // A query stuck on a vanished server must fail, not hang the request forever.
    query_timeout: 30_000,
    idleTimeoutMillis: 30_000,
    application_name: 'namaskah',
  });
  // A client losing its server emits 'error'; without listeners that would crash the process. The
  // failure itself reaches the caller through its query, and the pool discards the dead client.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  const db = drizzlePg({ client: pool }) as unknown as Db;
  if (!namedStatements) useUnnamedStatements(db);
  const sql: SqlClient = {
    query: async (text, values) => pool.query(text, values as unknown[] | undefined),
    exec: async (text) => {
      const result = (await pool.query(text)) as pg.QueryResult | pg.QueryResult[];
      return Array.isArray(result) ? (result.at(-1) ?? { rows: [] }) : result;
    },
  };
  return {
    kind: 'pg',
    db,
    sql,
    ping: async () => {
      await pool.query('select 1');
    },
    migrate: async () => {
      // One migrator at a time across instances; the others wait and then find nothing to do. The
      // lock belongs to an open transaction on a connection of its own: a session lock
      // (pg_advisory_lock) taken through PgBouncer in transaction mode stays on whichever server
      // connection ran it while the unlock lands on another, and the next instance waits forever.
      const holder = new pg.Client({
        connectionString: url,
        connectionTimeoutMillis: connectionTimeoutMs,
        application_name: 'namaskah-migrate',
      });
      holder.on('error', () => undefined);
      await holder.connect();
      try {
        await holder.query('begin');
        await holder.query('select pg_advisory_xact_lock(7261001)');
        const client = await pool.connect();
        try {
          await migratePg(drizzlePg({ client }), { migrationsFolder: MIGRATIONS_FOLDER });
        } finally {
          client.release();
        }
      } finally {
        // Ending the transaction (or the connection) releases the lock.
        await holder.query('rollback').catch(() => undefined);
        await holder.end().catch(() => undefined);
      }
    },
    warm: async () => {
      // Checked out all at once, so the pool has to open poolMin connections side by side.
      const opened = await Promise.allSettled(Array.from({ length: poolMin }, () => pool.connect()));
      for (const result of opened) if (result.status === 'fulfilled') result.value.release();
      const failed = opened.find((result) => result.status === 'rejected');
      if (failed) throw failed.reason;
    },
    close: async () => {
      await pool.end();
    },
  };
}

async function openPglite(dataDir: string | null): Promise<Database> {
  const { client, unlock } =
    dataDir === null ? { client: await PGlite.create(), unlock: undefined } : await openPgliteFolder(dataDir);
  const db = drizzlePglite({ client: client as PGlite }) as unknown as Db;
  const sql: SqlClient = {
    query: async (text, values) => client.query<Record<string, unknown>>(text, values),
    exec: async (text) => {
      const results = await client.exec(text);
      return { rows: (results.at(-1)?.rows ?? []) as Record<string, unknown>[] };
    },
  };
  return {
    kind: 'pglite',
    db,
    sql,
    ping: async () => {
      await client.query('select 1');
    },
    migrate: async () => {
      await migratePglite(drizzlePglite({ client: client as PGlite }), {
        migrationsFolder: MIGRATIONS_FOLDER,
      });
    },
    warm: async () => undefined,
    close: async () => {
      await client.close();
      await unlock?.();
    },
    ...(client instanceof PgliteOnThread ? { lost: client.lost } : {}),
  };
}

/**
 * A data folder's PGlite: the one main.ts started on its own thread while the modules loaded, or
 * else one opened here, in this thread (tests, and tools that open the database themselves).
 */
async function openPgliteFolder(
  dataDir: string,
): Promise<{ client: PgliteClient; unlock: () => Promise<void> }> {
  const prestarted = takePrestartedPglite(dataDir);
  if (prestarted) return prestarted;
  const folder = path.resolve(dataDir, 'pglite');
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- the operator's DATA_DIR setting
  mkdirSync(path.resolve(dataDir), { recursive: true });
  const unlock = await lockDataDir(path.resolve(dataDir));
  try {
    // A new folder starts as a copy of the initialised template (no initdb in this process).
    await seedPgliteFolder(folder);
    return { client: await PGlite.create(folder, { startParams: PGLITE_START_PARAMS }), unlock };
  } catch (error) {
    await unlock();
    throw error;
  }
}

/** An in-memory PGlite, for tests of the embedded path. */
export async function openInMemoryPglite(): Promise<Database> {
  return openPglite(null);
}
