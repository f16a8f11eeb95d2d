/* eslint-disable security/detect-non-literal-fs-filename -- the script paths are the benchmark's own files */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { capturePurchase, ownerOf, pgbenchScript } from './capture.js';
import type { BenchSystem } from './system.js';

/**
 * pgbench on the benchmark's database (same PostgreSQL as the app): (a) the purchase's own SQL,
 * captured from one real purchase (capture.ts), and (b) the lean reference shape
 * (bench/pgbench/lean-*.sql: conditional wallet update, transaction, two entries, order).
 */
const run = promisify(execFile);
const PGBENCH = process.env.BENCH_PGBENCH ?? '/usr/lib/postgresql/15/bin/pgbench';
const folder = path.resolve(import.meta.dirname, '../pgbench');

export interface PgbenchResult {
  tps: number;
  transactions: number;
  failed: number;
  /** Average latency per transaction, ms (pgbench's own figure). */
  latencyMs: number;
}

async function pgbench(
  system: BenchSystem,
  script: string,
  clients: number,
  perClient: number,
): Promise<PgbenchResult> {
  const url = new URL(system.databaseUrl);
  const { stdout } = await run(
    PGBENCH,
    [
      '-n',
      '-h',
      // A Unix socket's folder when the URL names one (?host=/var/run/postgresql), as the app connects.
      url.searchParams.get('host') ?? url.hostname,
      '-p',
      url.port || '5432',
      '-U',
      decodeURIComponent(url.username) || 'postgres',
      '-c',
      String(clients),
      '-j',
      '2',
      '-t',
      String(perClient),
      '-f',
      script,
      system.databaseName,
    ],
    { timeout: 600_000, maxBuffer: 16 * 1024 * 1024 },
  );
  const number = (pattern: RegExp) => Number(pattern.exec(stdout)?.[1] ?? NaN);
  const processed = number(/number of transactions actually processed: (\d+)/);
  const failed = number(/number of failed transactions: (\d+)/);
  return {
    tps: number(/tps = ([\d.]+) \(without initial connection time\)/),
    transactions: processed,
    failed: Number.isNaN(failed) ? clients * perClient - processed : failed,
    latencyMs: number(/latency average = ([\d.]+) ms/),
  };
}

export async function pgbenchLean(
  system: BenchSystem,
  clients: number,
  perClient: number,
): Promise<PgbenchResult> {
  if (clients > 100) throw new Error('the lean schema has 100 wallets: at most 100 pgbench clients');
  const admin = new pg.Client({ connectionString: system.databaseUrl });
  await admin.connect();
  try {
    await admin.query(readFileSync(path.join(folder, 'lean-schema.sql'), 'utf8'));
  } finally {
    await admin.end();
  }
  return pgbench(system, path.join(folder, 'lean-purchase.sql'), clients, perClient);
}

export interface OwnSqlResult extends PgbenchResult {
  statements: number;
  dbTransactions: number;
  /** Statements outside those transactions (autocommit). */
  autocommit: number;
  /** Orders of the pgbench clients' buyers per status afterwards (the script did the whole work). */
  orders: Record<string, number>;
  /** Whether every transaction left an active order with its pending hold. */
  complete: boolean;
  /** Where the generated script was kept (BENCH_KEEP_SCRIPT) or `undefined`. */
  scriptPath: string | undefined;
}

export async function pgbenchOwnSql(
  system: BenchSystem,
  clients: number,
  perClient: number,
): Promise<OwnSqlResult> {
  // Every pgbench client buys for its own wallet, funded for all its purchases (and the capture's).
  for (let client = 0; client < clients; client++) {
    await system.fund(ownerOf(client), (perClient + 2) * 1_000);
  }
  const captured = await capturePurchase(system);
  const generated = await pgbenchScript(system.databaseUrl, captured);
  const dir = mkdtempSync(path.join(tmpdir(), 'namaskah-pgbench-'));
  const scriptPath = process.env.BENCH_KEEP_SCRIPT ?? path.join(dir, 'own-purchase.sql');
  try {
    writeFileSync(scriptPath, generated.script);
    const result = await pgbench(system, scriptPath, clients, perClient);
    const owners = Array.from({ length: clients }, (_, client) => ownerOf(client));
    const { rows } = await system.database.sql.query(
      `select status, count(*)::int as n, count(provider_id)::int as with_provider,
              (select count(*)::int from ledger_holds h where h.owner_id = any($1::uuid[]) and h.status = 'pending') as holds
         from verifications where user_id = any($1::uuid[]) group by status`,
      [owners],
    );
    const orders = Object.fromEntries(rows.map((row) => [String(row.status), Number(row.n)]));
    // The capture's own two purchases are among them.
    const expected = result.transactions + 2;
    const active = rows.find((row) => row.status === 'active');
    const complete =
      Number(active?.n ?? 0) === expected &&
      Number(active?.with_provider ?? 0) === expected &&
      Number(rows[0]?.holds ?? 0) === expected &&
      rows.length === 1;
    return {
      ...result,
      orders,
      complete,
      statements: generated.statements,
      dbTransactions: generated.transactions,
      autocommit: generated.outside,
      scriptPath: process.env.BENCH_KEEP_SCRIPT,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
