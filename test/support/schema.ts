import { sql } from 'drizzle-orm';
import { getTableConfig, PgTable } from 'drizzle-orm/pg-core';
import type { Db } from '../../src/platform/db/database.js';
import { rawRows } from '../../src/platform/db/raw.js';

/** PostgreSQL cuts identifiers to 63 bytes (NAMEDATALEN - 1); drizzle's generated names can be longer. */
const identifier = (name: string) => Buffer.from(name).subarray(0, 63).toString();

/** The drizzle tables a `schema.ts` exports (other exports, such as status lists, are skipped). */
export function tablesOf(schema: Record<string, unknown>): PgTable[] {
  return Object.values(schema).filter((value): value is PgTable => value instanceof PgTable);
}

/**
 * What a schema declares that the migrated database lacks: tables, columns, indexes, checks,
 * unique and foreign keys, by name. Empty when `drizzle-kit generate` was run after the last
 * schema change; a schema edited without its migration shows up here.
 */
export async function schemaDrift(db: Db, tables: PgTable[]): Promise<string[]> {
  const missing: string[] = [];
  for (const table of tables) {
    const config = getTableConfig(table);
    const name = config.name;
    const columns = new Set(
      (
        await rawRows<{ column_name: string }>(
          db,
          sql`select column_name from information_schema.columns where table_schema = 'public' and table_name = ${name}`,
        )
      ).map((row) => row.column_name),
    );
    if (columns.size === 0) {
      missing.push(`table ${name}`);
      continue;
    }
    for (const column of config.columns)
      if (!columns.has(column.name)) missing.push(`column ${name}.${column.name}`);

    const indexes = new Set(
      (
        await rawRows<{ indexname: string }>(
          db,
          sql`select indexname from pg_indexes where schemaname = 'public' and tablename = ${name}`,
        )
      ).map((row) => row.indexname),
    );
    for (const index of config.indexes) {
      const indexName = index.config.name ?? '(unnamed)';
      if (!indexes.has(identifier(indexName))) missing.push(`index ${indexName}`);
    }

    const constraints = await rawRows<{ conname: string; contype: string; foreign: string | null }>(
      db,
      sql`select c.conname, c.contype::text as contype, f.relname::text as foreign
            from pg_constraint c join pg_class t on t.oid = c.conrelid
            left join pg_class f on f.oid = c.confrelid
           where t.relname = ${name}`,
    );
    const has = (type: string, constraint: string) =>
      constraints.some((row) => row.contype === type && row.conname === identifier(constraint));
    for (const check of config.checks) if (!has('c', check.name)) missing.push(`check ${check.name}`);
    for (const unique of config.uniqueConstraints) {
      const uniqueName = unique.getName();
      if (uniqueName && !has('u', uniqueName)) missing.push(`unique ${uniqueName}`);
    }
    for (const foreignKey of config.foreignKeys) {
      const target = getTableConfig(foreignKey.reference().foreignTable).name;
      const found = constraints.some(
        (row) =>
          row.contype === 'f' && row.conname === identifier(foreignKey.getName()) && row.foreign === target,
      );
      if (!found) missing.push(`foreign key ${foreignKey.getName()} → ${target}`);
    }
  }
  return missing;
}
