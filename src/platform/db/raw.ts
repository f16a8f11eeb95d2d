import type { SQL } from 'drizzle-orm';
import type { Db } from './database.js';

/**
 * Rows of a raw query on either driver. Raw results are not normalized by drizzle (int8 is a
 * string on pg and a number or bigint on PGlite), so queries cast what they return to text or int.
 */
export async function rawRows<T extends Record<string, unknown>>(db: Db, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as unknown as { rows?: T[] } | T[];
  return Array.isArray(result) ? result : (result.rows ?? []);
}
