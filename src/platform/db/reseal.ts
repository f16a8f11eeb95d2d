import type { SqlClient } from './database.js';

/** What re-sealing needs of a sealer: tell an old seal, open it, seal again with the current key. */
export interface Resealer {
  isStale(sealed: string): boolean;
  open(sealed: string): string;
  seal(plaintext: string): string;
}

/** One sealed column: its table, the columns that identify a row, and rows worth looking at. */
export interface SealedColumn {
  table: string;
  key: readonly string[];
  column: string;
  /** Extra condition (our own SQL, never input), e.g. to skip plain values in a mixed column. */
  where?: string;
}

/** A module's sealed data: the purpose label of its key, and the columns sealed with it. */
export interface SealedData {
  purpose: string;
  columns: readonly SealedColumn[];
}

export interface ResealCount {
  checked: number;
  resealed: number;
  /** Values no accepted secret opens: sealed with a secret that is gone; left as they are. */
  unreadable: number;
}

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

/**
 * Re-seals every value of a column sealed with a fallback secret, in batches ordered by the row
 * key. Each update is conditional on the value read, so a value changed meanwhile (a new seal by
 * a running instance) is left to that change; running it twice does nothing the second time.
 */
export async function resealColumn(
  sql: SqlClient,
  target: SealedColumn,
  sealer: Resealer,
  batchSize = 500,
): Promise<ResealCount> {
  const keys = target.key.map(quote);
  const column = quote(target.column);
  const table = quote(target.table);
  const count: ResealCount = { checked: 0, resealed: 0, unreadable: 0 };
  let after: unknown[] | undefined;
  for (;;) {
    const conditions = [`${column} is not null`];
    if (target.where) conditions.push(`(${target.where})`);
    if (after) conditions.push(`(${keys.join(', ')}) > (${keys.map((_, i) => `$${i + 1}`).join(', ')})`);
    const { rows } = await sql.query(
      `select ${keys.join(', ')}, ${column} as sealed from ${table} where ${conditions.join(' and ')} ` +
        `order by ${keys.join(', ')} limit ${batchSize}`,
      after ?? [],
    );
    for (const row of rows) {
      count.checked++;
      const sealed = String(row.sealed);
      if (!sealer.isStale(sealed)) {
        if (!opens(sealer, sealed)) count.unreadable++;
        continue;
      }
      const identity = target.key.map((name) => row[name]);
      const matches = target.key.map((name, i) => `${quote(name)} = $${i + 3}`).join(' and ');
      const updated = await sql.query(
        `update ${table} set ${column} = $1 where ${column} = $2 and ${matches} returning 1 as done`,
        [sealer.seal(sealer.open(sealed)), sealed, ...identity],
      );
      count.resealed += updated.rows.length;
    }
    if (rows.length < batchSize) return count;
    const last = rows[rows.length - 1]!;
    after = target.key.map((name) => last[name]);
  }
}

function opens(sealer: Resealer, sealed: string): boolean {
  try {
    sealer.open(sealed);
    return true;
  } catch {
    return false;
  }
}
