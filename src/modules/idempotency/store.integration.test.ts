import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type TestDatabase,
  createPgliteTestDatabase,
  createPostgresTestDatabase,
} from '../../../test/support/database.js';
import { idempotencyKeys } from './schema.js';
import { claimMany, completeMany } from './store.js';

/** The batched statements: many requests' claims or answers in one statement, each its own outcome. */
describe.each([
  ['PostgreSQL', createPostgresTestDatabase],
  ['PGlite', createPgliteTestDatabase],
])('idempotency store batches on %s', (_engine, create) => {
  let testDb: TestDatabase;
  beforeAll(async () => {
    testDb = await create();
  });
  afterAll(async () => {
    await testDb?.dispose();
  });
  const db = () => testDb.database.db;

  it('claims each free key once: the same key twice in a batch goes to its first request', async () => {
    const principal = `user:${randomUUID()}`;
    const taken = randomUUID();
    expect(await claimMany(db(), [{ principal, key: taken, fingerprint: 'a' }], 10)).toEqual([true]);

    const shared = randomUUID();
    const claimed = await claimMany(
      db(),
      [
        { principal, key: taken, fingerprint: 'a' }, // held by an earlier request
        { principal, key: shared, fingerprint: 'b' },
        { principal, key: shared, fingerprint: 'b' }, // a concurrent retry of the same request
        { principal, key: shared, fingerprint: 'c' }, // the same key with another body
        { principal: `user:${randomUUID()}`, key: shared, fingerprint: 'c' }, // another caller's key
      ],
      10,
    );
    expect(claimed).toEqual([false, true, false, false, true]);
    const [row] = await db()
      .select()
      .from(idempotencyKeys)
      .where(and(eq(idempotencyKeys.principal, principal), eq(idempotencyKeys.key, shared)));
    expect(row).toMatchObject({ fingerprint: 'b', status: 'in_flight' });
    expect(row!.leaseExpiresAt.getTime()).toBeGreaterThan(Date.now());
  });

  it('stores each answer of a batch on its own key', async () => {
    const principal = `user:${randomUUID()}`;
    const keys = [randomUUID(), randomUUID(), randomUUID()];
    await claimMany(
      db(),
      keys.map((key) => ({ principal, key, fingerprint: 'f' })),
      10,
    );
    await completeMany(
      db(),
      keys.map((key, i) => ({
        principal,
        key,
        status: 200 + i,
        body: `{"n":${i}}`,
        headers: { 'content-type': 'application/json', location: `/x/${i}` },
      })),
    );
    const rows = await db().select().from(idempotencyKeys).where(eq(idempotencyKeys.principal, principal));
    const byKey = new Map(rows.map((row) => [row.key, row]));
    keys.forEach((key, i) =>
      expect(byKey.get(key)).toMatchObject({
        status: 'completed',
        responseStatus: 200 + i,
        responseBody: `{"n":${i}}`,
        responseHeaders: { 'content-type': 'application/json', location: `/x/${i}` },
      }),
    );
  });
});
