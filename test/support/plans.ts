import type { Database } from '../../src/platform/db/database.js';

/**
 * How often this connection's prepared statements were planned afresh (custom) or ran on their
 * cached plan (generic). PostgreSQL makes custom plans for a statement's first five executions,
 * then keeps to the cached one unless a custom plan looks cheaper. Use with a one-connection pool.
 */
export async function planCounts(
  database: Database,
): Promise<Record<string, { custom: number; generic: number }>> {
  const { rows } = await database.sql.query(
    'select name, custom_plans::int as custom, generic_plans::int as generic from pg_prepared_statements',
  );
  return Object.fromEntries(
    (rows as { name: string; custom: number; generic: number }[]).map((r) => [
      r.name,
      { custom: r.custom, generic: r.generic },
    ]),
  );
}

/** The sequential scans of `table` so far, with this connection's own counts flushed first. */
export async function seqScans(database: Database, table: string): Promise<number> {
  await database.sql.query('select pg_stat_force_next_flush()');
  await database.sql.query('select pg_stat_clear_snapshot()');
  const { rows } = await database.sql.query(
    'select coalesce(seq_scan, 0)::int as n from pg_stat_user_tables where relname = $1',
    [table],
  );
  return (rows[0] as { n: number }).n;
}
