import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type TestDatabase,
  createPgliteTestDatabase,
  createPostgresTestDatabase,
} from '../../../test/support/database.js';
import { idempotencyKeys } from './schema.js';
import { applyKeySteps, type ClaimInput, claimAndComplete, type StoredAnswer } from './store.js';

const claimMany = (db: TestDatabase['database']['db'], claims: ClaimInput[], lease: number) =>
  claimAndComplete(db, { claims, answers: [] }, lease);
const answerOf = (principal: string, key: string, i: number): StoredAnswer => ({
  principal,
  key,
  status: 200 + i,
  body: `{"n":${i}}`,
  headers: { 'content-type': 'application/json', location: `/x/${i}` },
});

/** The batched statement: many requests' claims and answers in one statement, each its own outcome. */
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
    await claimAndComplete(
      db(),
      { claims: [], answers: keys.map((key, i) => answerOf(principal, key, i)) },
      10,
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

  it('stores the answers before it claims: a key answered in the same statement is not free', async () => {
    const principal = `user:${randomUUID()}`;
    const [answered, fresh] = [randomUUID(), randomUUID()];
    await claimMany(db(), [{ principal, key: answered, fingerprint: 'f' }], 10);
    const won = await claimAndComplete(
      db(),
      {
        claims: [
          { principal, key: answered, fingerprint: 'f' }, // a retry arriving as the first one answers
          { principal, key: fresh, fingerprint: 'f' },
        ],
        answers: [answerOf(principal, answered, 1)],
      },
      10,
    );
    expect(won).toEqual([false, true]);
    const rows = await db().select().from(idempotencyKeys).where(eq(idempotencyKeys.principal, principal));
    expect(Object.fromEntries(rows.map((row) => [row.key, row.status]))).toEqual({
      [answered]: 'completed',
      [fresh]: 'in_flight',
    });
  });

  it('gives a failed batch’s error only to the step at fault', async () => {
    const principal = `user:${randomUUID()}`;
    const [held, broken, fresh] = [randomUUID(), randomUUID(), randomUUID()];
    await claimMany(
      db(),
      [held, broken].map((key) => ({ principal, key, fingerprint: 'f' })),
      10,
    );
    // PostgreSQL's text holds no NUL byte: this answer alone cannot be stored.
    const results = await applyKeySteps(
      db(),
      [
        { answer: answerOf(principal, held, 0) },
        { answer: { ...answerOf(principal, broken, 1), body: 'nul \u0000 byte' } },
        { claim: { principal, key: fresh, fingerprint: 'f' } },
        { claim: { principal, key: held, fingerprint: 'f' } },
      ],
      10,
    );
    expect(results[0]).toBe(true);
    expect(results[1]).toBeInstanceOf(Error);
    expect(results.slice(2)).toEqual([true, false]);
    const rows = await db().select().from(idempotencyKeys).where(eq(idempotencyKeys.principal, principal));
    expect(Object.fromEntries(rows.map((row) => [row.key, row.status]))).toEqual({
      [held]: 'completed',
      [broken]: 'in_flight',
      [fresh]: 'in_flight',
    });
  });
});
