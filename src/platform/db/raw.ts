import { type InferSelectModel, type SQL, type Table, getTableColumns } from 'drizzle-orm';
import type { Db } from './database.js';

/**
 * Rows of a raw query on either driver. Raw results are not normalized by drizzle (int8 is a
 * string on pg and a number or bigint on PGlite), so queries cast what they return to text or int.
 */
export async function rawRows<T extends Record<string, unknown>>(db: Db, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as unknown as { rows?: T[] } | T[];
  return Array.isArray(result) ? result : (result.rows ?? []);
}

/**
 * A row as a SQL function answers it with `to_jsonb(row)` (snake_case keys, timestamps as text),
 * read as drizzle reads the table's rows: each column through its own driver mapping. A column
 * the JSON lacks is an error (the function and the schema disagree), not a silent null.
 */
export function rowFromJson<T extends Table>(table: T, json: Record<string, unknown>): InferSelectModel<T> {
  const row: Record<string, unknown> = {};
  for (const [key, column] of Object.entries(getTableColumns(table))) {
    if (!(column.name in json)) throw new Error(`row JSON lacks column ${column.name}`);
    const value = json[column.name];
    row[key] = value === null ? null : column.mapFromDriverValue(value);
  }
  return row as InferSelectModel<T>;
}

/** A jsonb answer as either driver hands it back (parsed by pg and PGlite; text by a driver that does not). */
export function jsonOf<T>(value: T | string): T {
  return typeof value === 'string' ? (JSON.parse(value) as T) : value;
}
