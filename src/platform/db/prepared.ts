import type { Db } from './database.js';

/**
 * Hot statements are built by drizzle once (`.prepare(name)`) and, under a name, parsed by
 * PostgreSQL once per connection. A database reached through a pooler that cannot track named
 * statements is marked here at open (DATABASE_NAMED_STATEMENTS=false): its statements are then
 * prepared unnamed (node-postgres parses an unnamed statement each time), still built once.
 */
const unnamed = new WeakSet<Db>();

export function useUnnamedStatements(db: Db): void {
  unnamed.add(db);
}

/** The name to prepare a statement under on `db` ('' = unnamed). */
export function statementName(db: Db, name: string): string {
  return unnamed.has(db) ? '' : name;
}

/** One per database handle (a prepared statement, a batcher of statements), built on first use. */
export function preparedPer<T>(build: (db: Db) => T): (db: Db) => T {
  const built = new WeakMap<Db, T>();
  return (db) => {
    let statement = built.get(db);
    if (statement === undefined) {
      statement = build(db);
      built.set(db, statement);
    }
    return statement;
  };
}
