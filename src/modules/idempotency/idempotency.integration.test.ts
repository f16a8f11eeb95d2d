import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createTestApp } from '../../../test/support/app.js';
import { type TestDatabase, createPostgresTestDatabase } from '../../../test/support/database.js';
import { movement } from '../ledger/domain.js';
import * as ledger from '../ledger/service.js';
import { fingerprint } from './domain.js';
import { pruneOlderThan } from './store.js';

/**
 * Stripe semantics on a money-moving route: the test route places a ledger hold whose reference
 * comes from the Idempotency-Key, the way real purchase routes do.
 */
describe('idempotency keys', () => {
  let testDb: TestDatabase;
  let app: FastifyInstance;
  let executions = 0;
  const gates = new Map<string, Promise<void>>();

  beforeAll(async () => {
    testDb = await createPostgresTestDatabase(10);
    app = await createTestApp({ database: testDb.database });
    app.addHook('onRequest', async (request) => {
      const user = request.headers['x-test-user'];
      if (typeof user === 'string')
        request.principal = {
          userId: user,
          email: `${user}@example.test`,
          tier: 'payg',
          role: 'user',
          emailConfirmed: true,
          via: 'access_token',
        };
    });
    app.withTypeProvider<ZodTypeProvider>().post(
      '/test/holds',
      {
        config: { idempotent: true },
        schema: { body: z.object({ amount: z.number().int().positive(), gate: z.string().optional() }) },
      },
      async (request, reply) => {
        executions++;
        if (request.body.gate) await gates.get(request.body.gate);
        const userId = request.principal!.userId;
        const reference = `test:${userId}:${request.idempotencyKey ?? randomUUID()}`;
        const { hold } = await testDb.database.db.transaction((tx) =>
          ledger.hold(tx, { ownerId: userId, amount: request.body.amount, reference, memo: 'test hold' }),
        );
        return reply.status(201).send({ holdId: hold.id, amount: hold.amount, executedAt: Date.now() });
      },
    );
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await testDb?.dispose();
  });

  async function userWith(cents: number): Promise<string> {
    const user = randomUUID();
    await testDb.database.db.transaction((tx) =>
      ledger.transfer(tx, {
        kind: 'topup',
        legs: movement({ platform: 'paystack_clearing' }, { wallet: user }, cents),
        memo: 'funding',
        idempotencyKey: `fund:${user}`,
      }),
    );
    return user;
  }

  const post = (user: string, key: string | undefined, body: object) =>
    app.inject({
      method: 'POST',
      url: '/test/holds',
      headers: { 'x-test-user': user, ...(key ? { 'idempotency-key': key } : {}) },
      payload: body,
    });

  it('a replay returns the stored status and body with Idempotent-Replayed: true, and moves no money', async () => {
    const user = await userWith(1000);
    const first = await post(user, 'key-1', { amount: 300 });
    expect(first.statusCode).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const runs = executions;
    const replay = await post(user, 'key-1', { amount: 300 });
    expect(replay.statusCode).toBe(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toBe(first.body);
    expect(replay.headers['content-type']).toContain('application/json');
    expect(executions).toBe(runs);
    expect(await ledger.walletSummary(testDb.database.db, user)).toEqual({ balance: 700, held: 300 });
  });

  it('the same body with keys in another order is the same request', async () => {
    const user = await userWith(1000);
    const a = await app.inject({
      method: 'POST',
      url: '/test/holds',
      headers: { 'x-test-user': user, 'idempotency-key': 'order', 'content-type': 'application/json' },
      payload: '{"amount":5,"gate":"none"}',
    });
    const b = await app.inject({
      method: 'POST',
      url: '/test/holds',
      headers: { 'x-test-user': user, 'idempotency-key': 'order', 'content-type': 'application/json' },
      payload: '{"gate":"none","amount":5}',
    });
    expect(a.statusCode).toBe(201);
    expect(b.headers['idempotent-replayed']).toBe('true');
  });

  it('the same key with another body → 422 idempotency_key_reused', async () => {
    const user = await userWith(1000);
    expect((await post(user, 'key-2', { amount: 100 })).statusCode).toBe(201);
    const reused = await post(user, 'key-2', { amount: 200 });
    expect(reused.statusCode).toBe(422);
    expect(reused.json()).toEqual({ error: { code: 'idempotency_key_reused', message: expect.any(String) } });
    expect((await ledger.walletSummary(testDb.database.db, user)).held).toBe(100);
  });

  it('two concurrent first requests with one key → one runs, the other gets 409 idempotency_key_in_use', async () => {
    const user = await userWith(1000);
    let open!: () => void;
    gates.set('slow', new Promise<void>((resolve) => (open = resolve)));
    const first = post(user, 'key-3', { amount: 50, gate: 'slow' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const second = await post(user, 'key-3', { amount: 50, gate: 'slow' });
    open();
    expect(second.statusCode).toBe(409);
    expect(second.json().error.code).toBe('idempotency_key_in_use');
    expect((await first).statusCode).toBe(201);
    expect(await ledger.walletSummary(testDb.database.db, user)).toEqual({ balance: 950, held: 50 });
  });

  it('many simultaneous requests with one key move money once', async () => {
    const user = await userWith(1000);
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => post(user, 'burst', { amount: 10 })),
    );
    const statuses = responses.map((r) => r.statusCode);
    expect(statuses.every((s) => s === 201 || s === 409)).toBe(true);
    expect((await ledger.walletSummary(testDb.database.db, user)).held).toBe(10);
  });

  it('a validation failure is not stored: the key still works for a valid request', async () => {
    const user = await userWith(1000);
    const invalid = await post(user, 'key-4', { amount: -5 });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json().error.code).toBe('validation_failed');
    const valid = await post(user, 'key-4', { amount: 5 });
    expect(valid.statusCode).toBe(201);
    expect(valid.headers['idempotent-replayed']).toBeUndefined();
  });

  it('a business refusal (402) is stored and replayed like a success', async () => {
    const user = await userWith(10);
    const refused = await post(user, 'key-5', { amount: 50 });
    expect(refused.statusCode).toBe(402);
    await testDb.database.db.transaction((tx) =>
      ledger.transfer(tx, {
        kind: 'topup',
        legs: movement({ platform: 'paystack_clearing' }, { wallet: user }, 100),
        memo: 'more',
        idempotencyKey: `more:${user}`,
      }),
    );
    const replay = await post(user, 'key-5', { amount: 50 });
    expect(replay.statusCode).toBe(402);
    expect(replay.headers['idempotent-replayed']).toBe('true');
  });

  it('keys belong to their caller: another user with the same key runs their own request', async () => {
    const alice = await userWith(100);
    const bob = await userWith(100);
    const a = await post(alice, 'shared', { amount: 10 });
    const b = await post(bob, 'shared', { amount: 10 });
    expect(b.headers['idempotent-replayed']).toBeUndefined();
    expect(b.json().holdId).not.toBe(a.json().holdId);
  });

  it('an over-long key is refused', async () => {
    const user = await userWith(100);
    const response = await post(user, 'k'.repeat(256), { amount: 1 });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('validation_failed');
  });

  it('keys older than 24 h are pruned, younger ones kept', async () => {
    const user = await userWith(100);
    await post(user, 'old-key', { amount: 1 });
    await post(user, 'new-key', { amount: 1 });
    await testDb.database.db.execute(
      sql`update idempotency_keys set created_at = now() - interval '25 hours' where key = 'old-key'`,
    );
    const pruned = await pruneOlderThan(testDb.database.db, 24);
    expect(pruned).toBeGreaterThanOrEqual(1);
    const left = await testDb.database.db.execute(
      sql`select key from idempotency_keys where key in ('old-key', 'new-key')`,
    );
    expect((left as unknown as { rows: { key: string }[] }).rows.map((r) => r.key)).toEqual(['new-key']);
  });

  it('an in-flight key abandoned by a crashed request is taken over after its lease', async () => {
    const user = await userWith(100);
    await testDb.database.db.execute(
      sql`insert into idempotency_keys (principal, key, fingerprint, lease_expires_at)
          values (${`user:${user}`}, 'crashed', 'x', now() - interval '1 second')`,
    );
    // A different fingerprint is still a different request, even for an abandoned key.
    expect((await post(user, 'crashed', { amount: 1 })).statusCode).toBe(422);

    await testDb.database.db.execute(
      sql`insert into idempotency_keys (principal, key, fingerprint, lease_expires_at)
          values (${`user:${user}`}, 'crashed-same', ${fingerprint('POST', '/test/holds', { amount: 2 })}, now() - interval '1 second')`,
    );
    const retried = await post(user, 'crashed-same', { amount: 2 });
    expect(retried.statusCode).toBe(201);
    expect(retried.headers['idempotent-replayed']).toBeUndefined();
  });

  it('an in-flight key whose lease is still running is not taken over', async () => {
    const user = await userWith(100);
    await testDb.database.db.execute(
      sql`insert into idempotency_keys (principal, key, fingerprint, lease_expires_at)
          values (${`user:${user}`}, 'running', ${fingerprint('POST', '/test/holds', { amount: 2 })}, now() + interval '1 minute')`,
    );
    expect((await post(user, 'running', { amount: 2 })).statusCode).toBe(409);
  });
});
