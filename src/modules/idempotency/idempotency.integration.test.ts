import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'drizzle-orm';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createTestApp } from '../../../test/support/app.js';
import { type TestDatabase, createPostgresTestDatabase } from '../../../test/support/database.js';
import { startTcpProxy } from '../../../test/support/tcp-proxy.js';
import { type Database, openDatabase } from '../../platform/db/database.js';
import { fingerprint } from './domain.js';
import { pruneOlderThan } from './store.js';
import { createLedgerService } from '../ledger/index.js';
import { fundWallet } from '../../../test/support/wallet.js';

const ledger = createLedgerService();

/**
 * Stripe semantics on a money-moving route: the test route places a ledger hold whose reference
 * comes from the Idempotency-Key, the way real purchase routes do.
 */
/** These tests retry in loops from one address: only the route limits under test apply. */
const NO_GLOBAL_LIMIT = { RATE_LIMIT_GLOBAL_PER_MINUTE: '0' };

describe('idempotency keys', () => {
  let testDb: TestDatabase;
  let app: FastifyInstance;
  let executions = 0;
  const gates = new Map<string, Promise<void>>();

  /** The test routes, on the app under test or on another instance of it (same database). */
  function addHoldRoutes(instance: FastifyInstance, database: Database) {
    instance.addHook('onRequest', async (request) => {
      const user = request.headers['x-test-user'];
      if (typeof user === 'string')
        request.principal = {
          userId: user,
          email: `${user}@example.test`,
          tier: 'payg',
          role: 'user',
          emailConfirmed: true,
          mfaEnabled: false,
          via: 'access_token',
        };
    });
    const handler = async (
      request: FastifyRequest<{ Body: { amount: number; gate?: string | undefined } }>,
      reply: FastifyReply,
    ) => {
      executions++;
      if (request.body.gate) await gates.get(request.body.gate);
      const userId = request.principal!.userId;
      const reference = `test:${userId}:${request.idempotencyKey ?? randomUUID()}`;
      const { hold } = await database.db.transaction((tx) =>
        ledger.hold(tx, { ownerId: userId, amount: request.body.amount, reference, memo: 'test hold' }),
      );
      return reply.status(201).send({ holdId: hold.id, amount: hold.amount, executedAt: Date.now() });
    };
    const body = z.object({ amount: z.number().int().positive(), gate: z.string().optional() });
    const typed = instance.withTypeProvider<ZodTypeProvider>();
    typed.post('/test/holds', { config: { idempotent: true }, schema: { body } }, handler);
    // Like the purchase route: a per-user rate limit in front of the idempotency check.
    typed.post(
      '/test/limited-holds',
      {
        config: {
          idempotent: true,
          rateLimits: [{ name: 'test-limited-holds', points: 3, durationSeconds: 60, key: 'user' }],
        },
        schema: { body },
      },
      handler,
    );
  }

  beforeAll(async () => {
    testDb = await createPostgresTestDatabase(10);
    app = await createTestApp({ database: testDb.database, env: NO_GLOBAL_LIMIT });
    addHoldRoutes(app, testDb.database);
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await testDb?.dispose();
  });

  async function userWith(cents: number): Promise<string> {
    const user = randomUUID();
    await fundWallet(testDb.database.db, user, cents);
    return user;
  }

  const post = (user: string, key: string | undefined, body: object, on = app, url = '/test/holds') =>
    on.inject({
      method: 'POST',
      url,
      headers: { 'x-test-user': user, ...(key ? { 'idempotency-key': key } : {}) },
      payload: body,
    });

  /** Resolves once a request holds `key` (so a retry cannot be the one that claims it). */
  async function claimed(user: string, key: string) {
    await expect
      .poll(async () => {
        const result = await testDb.database.db.execute(
          sql`select 1 from idempotency_keys where principal = ${`user:${user}`} and key = ${key}`,
        );
        return (result as unknown as { rows: unknown[] }).rows.length;
      })
      .toBe(1);
  }

  /** Repeats `request` while it answers 409 (key in use), up to `withinMs`. */
  async function eventuallyAnswered(request: () => ReturnType<typeof post>, withinMs: number) {
    const until = Date.now() + withinMs;
    for (;;) {
      const response = await request();
      if (response.statusCode !== 409 || Date.now() > until) return response;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

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
    await fundWallet(testDb.database.db, user, 100);
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

  it('a key held by a request whose process died is taken over soon, not after a minute', async () => {
    const user = await userWith(100);
    // Another instance on its own connection to the database starts the request, then dies: its
    // connection is cut, so it can no longer renew the key's lease (as after kill -9).
    const url = new URL(testDb.url!);
    const proxy = await startTcpProxy(url.hostname, Number(url.port || 5432));
    url.port = String(proxy.port);
    const doomedDb = await openDatabase(
      { kind: 'pg', url: url.toString(), poolSize: 2 },
      { connectionTimeoutMs: 1_000 },
    );
    const doomed = await createTestApp({ database: doomedDb, env: NO_GLOBAL_LIMIT });
    addHoldRoutes(doomed, doomedDb);
    let open!: () => void;
    gates.set('dies', new Promise<void>((resolve) => (open = resolve)));
    const dying = post(user, 'dead-owner', { amount: 40, gate: 'dies' }, doomed);
    try {
      await claimed(user, 'dead-owner');
      const retry = () => post(user, 'dead-owner', { amount: 40, gate: 'dies' });
      const inUse = await retry();
      expect(inUse.statusCode).toBe(409);
      // Says when to come back: within the holder's lease, never 0.
      expect(Number(inUse.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(Number(inUse.headers['retry-after'])).toBeLessThanOrEqual(10);
      await proxy.cut();
      // Its handler goes on without a database: nothing it does reaches the key any more.
      open();

      // The retry gets 409 while the dead owner's lease runs, then runs the request itself.
      const retried = await eventuallyAnswered(retry, 20_000);
      expect(retried.statusCode, retried.body).toBe(201);
      expect(retried.headers['idempotent-replayed']).toBeUndefined();
      expect(await ledger.walletSummary(testDb.database.db, user)).toEqual({ balance: 60, held: 40 });
      expect((await retry()).headers['idempotent-replayed']).toBe('true');
    } finally {
      open();
      // Let the other instance's pool reach the database again so it can be closed.
      await proxy.restore().catch(() => undefined);
      await dying.catch(() => undefined);
      await doomed.close();
      // A pool that lost its server mid-query may never finish closing: do not wait for it long.
      await Promise.race([doomedDb.close().catch(() => undefined), sleep(2_000)]);
      await proxy.close();
    }
  }, 40_000);

  it.each([
    { named: true, prepared: ['idempotency_claim_complete'] },
    // Behind a pooler that cannot track named statements (DATABASE_NAMED_STATEMENTS=false).
    { named: false, prepared: [] },
  ])('claims and replays with named statements $named', async ({ named, prepared }) => {
    const user = await userWith(100);
    // One connection: the statements it has prepared are those the key's requests prepared.
    const database = await openDatabase({
      kind: 'pg',
      url: testDb.url!,
      poolSize: 1,
      namedStatements: named,
    });
    const instance = await createTestApp({ database, env: NO_GLOBAL_LIMIT });
    addHoldRoutes(instance, database);
    try {
      const first = await post(user, `prepared-${named}`, { amount: 30 }, instance);
      expect(first.statusCode, first.body).toBe(201);
      const again = await post(user, `prepared-${named}`, { amount: 30 }, instance);
      expect(again.statusCode).toBe(201);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body).toBe(first.body);
      const { rows } = await database.sql.query(
        `select name from pg_prepared_statements where name like 'idempotency%' order by name`,
      );
      expect(rows.map((row) => row.name)).toEqual(prepared);
      expect(await ledger.walletSummary(testDb.database.db, user)).toEqual({ balance: 70, held: 30 });
    } finally {
      await instance.close();
      await database.close();
    }
  });

  it('a live request keeps its key for as long as it runs (the lease is renewed)', async () => {
    const user = await userWith(100);
    let open!: () => void;
    gates.set('long', new Promise<void>((resolve) => (open = resolve)));
    const running = post(user, 'long-runner', { amount: 25, gate: 'long' });
    await claimed(user, 'long-runner');
    // Retries for well past one lease all find the key in use. A retry that took the key over
    // would wait at the gate like the first one: it shows as "ran".
    const until = Date.now() + 12_000;
    const outcomes = new Set<number | 'ran'>();
    while (Date.now() < until && !outcomes.has('ran')) {
      const retry = post(user, 'long-runner', { amount: 25, gate: 'long' }).then((r) => r.statusCode);
      outcomes.add(await Promise.race([retry, sleep(2_000).then(() => 'ran' as const)]));
      await sleep(500);
    }
    open();
    expect([...outcomes]).toEqual([409]);
    expect((await running).statusCode).toBe(201);
    expect(await ledger.walletSummary(testDb.database.db, user)).toEqual({ balance: 75, held: 25 });
  }, 40_000);

  it('409 idempotency_key_in_use answers do not use up the rate limit of the route', async () => {
    const user = await userWith(100);
    const limited = (key: string, body: object) => post(user, key, body, app, '/test/limited-holds');
    let open!: () => void;
    gates.set('limited', new Promise<void>((resolve) => (open = resolve)));
    const first = limited('limited-key', { amount: 10, gate: 'limited' });
    await claimed(user, 'limited-key');
    const retries = [];
    for (let i = 0; i < 5; i++) retries.push(await limited('limited-key', { amount: 10, gate: 'limited' }));
    expect(retries.map((r) => [r.statusCode, r.json().error.code])).toEqual(
      Array.from({ length: 5 }, () => [409, 'idempotency_key_in_use']),
    );
    open();
    expect((await first).statusCode).toBe(201);
    // Two real requests of the three allowed: the 409s counted for nothing.
    expect((await limited('another-key', { amount: 10 })).statusCode).toBe(201);
    expect((await limited('third-key', { amount: 10 })).statusCode).toBe(201);
    expect((await limited('fourth-key', { amount: 10 })).statusCode).toBe(429);
  });
});
