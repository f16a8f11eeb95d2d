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

describe('verifications schema', () => {
  it('matches the migrated database: every table, column, index, check and key it declares exists', async () => {
    const tables = tablesOf(schema);
    expect(tables.length).toBeGreaterThan(0);
    expect(await schemaDrift(testDb.database.db, tables)).toEqual([]);
  });
});
