import { index, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDatabase, createPostgresTestDatabase } from '../../../test/support/database.js';
import { schemaDrift, tablesOf } from '../../../test/support/schema.js';
import * as schema from './schema.js';

let testDb: TestDatabase;
beforeAll(async () => {
  testDb = await createPostgresTestDatabase(2);
});
afterAll(async () => {
  await testDb?.dispose();
});

describe('ledger schema', () => {
  it('matches the migrated database: every table, column, index, check and key it declares exists', async () => {
    const tables = tablesOf(schema);
    expect(tables.length).toBeGreaterThan(0);
    expect(await schemaDrift(testDb.database.db, tables)).toEqual([]);
  });

  it('reports what a schema declares without a migration', async () => {
    const edited = pgTable('ledger_entries', { id: uuid('id'), ghost: text('ghost') }, (t) => [
      index('ledger_entries_ghost_idx').on(t.ghost),
    ]);
    const unmigrated = pgTable('ledger_ghosts', { id: uuid('id') });
    expect(await schemaDrift(testDb.database.db, [edited, unmigrated])).toEqual([
      'column ledger_entries.ghost',
      'index ledger_entries_ghost_idx',
      'table ledger_ghosts',
    ]);
  });
});
