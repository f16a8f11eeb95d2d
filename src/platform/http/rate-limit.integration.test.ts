import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestApp } from '../../../test/support/app.js';
import { type TestDatabase, createPostgresTestDatabase } from '../../../test/support/database.js';
import { asPrincipal, testPrincipal, trustTestPrincipalHeader } from '../../../test/support/principal.js';
import { TEST_REDIS_URL } from '../../../test/support/services.js';
import { startTcpProxy } from '../../../test/support/tcp-proxy.js';
import { createRedis } from '../redis.js';
import { createRateLimiter, type RouteRateLimit } from './rate-limit.js';
import { registerWebApp } from './web-app.js';

let db: TestDatabase;
let redis: Redis;
const apps: FastifyInstance[] = [];
const clients: Redis[] = [];

beforeAll(async () => {
  db = await createPostgresTestDatabase(4);
  redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  await redis.ping();
});
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
  for (const client of clients.splice(0)) client.disconnect();
});
afterAll(async () => {
  redis.disconnect();
  await db.dispose();
});

/** Every test counts on its own Redis keys, so parallel runs never meet. */
const freshPrefix = () => `test:rl:${randomBytes(8).toString('hex')}`;
/** A client address of its own per test (TEST-NET-3 addresses). */
let lastOctet = 0;
const nextIp = () => `203.0.113.${++lastOctet}`;

const limits = {
  ip: [{ name: 'per-ip', points: 3, durationSeconds: 60, key: 'ip' }],
  user: [{ name: 'per-user', points: 2, durationSeconds: 60, key: 'user' }],
  email: [
    {
      name: 'per-email',
      points: 2,
      durationSeconds: 60,
      key: (request: FastifyRequest) =>
        (request.body as { email?: string } | undefined)?.email?.toLowerCase(),
    },
  ],
  tier: [
    {
      name: 'by-tier',
      // Async, as a tier looked up in the database would be.
      points: async (request: FastifyRequest) => (request.principal?.tier === 'pro' ? 4 : 2),
      durationSeconds: 60,
      key: 'user',
    },
  ],
} satisfies Record<string, RouteRateLimit[]>;

async function buildApp(options: { redis?: Redis; prefix?: string; env?: Record<string, string> } = {}) {
  const app = await createTestApp({
    database: db.database,
    redis: options.redis,
    env: { RATE_LIMIT_KEY_PREFIX: options.prefix ?? freshPrefix(), ...options.env },
  });
  trustTestPrincipalHeader(app);
  app.get('/t/open', async () => ({ ok: true }));
  app.post('/api/v1/hooks/test', async () => ({ ok: true }));
  app.get('/t/ip', { config: { rateLimits: limits.ip } }, async () => ({ ok: true }));
  app.get('/t/user', { config: { rateLimits: limits.user } }, async () => ({ ok: true }));
  app.post('/t/login', { config: { rateLimits: [...limits.ip, ...limits.email] } }, async () => ({
    ok: true,
  }));
  app.get('/t/tier', { config: { rateLimits: limits.tier } }, async () => ({ ok: true }));
  await app.ready();
  apps.push(app);
  return app;
}

const get = (app: FastifyInstance, url: string, ip: string, headers: Record<string, string> = {}) =>
  app.inject({ method: 'GET', url, remoteAddress: ip, headers });

describe('global limit (100 requests per minute per client address)', () => {
  it('answers 429 rate_limited with Retry-After after 100 requests from one address', async () => {
    const app = await buildApp({ redis });
    const ip = nextIp();
    const remaining: number[] = [];
    for (let i = 0; i < 100; i++) {
      const response = await get(app, '/t/open', ip);
      expect(response.statusCode).toBe(200);
      expect(response.headers['ratelimit-limit']).toBe('100');
      remaining.push(Number(response.headers['ratelimit-remaining']));
    }
    expect(remaining[0]).toBe(99);
    expect(remaining[99]).toBe(0);
    expect(remaining).toEqual([...remaining].sort((a, b) => b - a));

    const refused = await get(app, '/t/open', ip);
    expect(refused.statusCode).toBe(429);
    expect(refused.json()).toEqual({
      error: { code: 'rate_limited', message: expect.stringMatching(/retry in \d+ second/) },
    });
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.headers['ratelimit-remaining']).toBe('0');
    expect(Number(refused.headers['ratelimit-reset'])).toBe(retryAfter);

    // Another address is unaffected; health, readiness and metrics are exempt.
    expect((await get(app, '/t/open', nextIp())).statusCode).toBe(200);
    expect((await get(app, '/healthz', ip)).statusCode).toBe(200);
    expect((await get(app, '/metrics', ip)).statusCode).toBe(200);
    // 404s count too (scanners), and are refused the same way.
    expect((await get(app, '/nowhere', ip)).statusCode).toBe(429);
  });

  it("leaves a page's HTML shell out: a person opening pages quickly gets the page, not bare JSON", async () => {
    const app = await createTestApp({
      database: db.database,
      redis,
      env: { RATE_LIMIT_KEY_PREFIX: freshPrefix(), RATE_LIMIT_GLOBAL_PER_MINUTE: '2' },
    });
    await registerWebApp(app, { embedded: false });
    await app.ready();
    try {
      const ip = nextIp();
      for (let i = 0; i < 2; i++) expect((await get(app, '/api/v1/meta', ip)).statusCode).toBe(200);
      expect((await get(app, '/api/v1/meta', ip)).statusCode).toBe(429);
      const page = await get(app, '/wallet', ip);
      expect(page.statusCode).toBe(200);
      expect(page.headers['content-type']).toContain('text/html');
      // The page's API calls still count.
      expect((await get(app, '/api/v1/meta', ip)).statusCode).toBe(429);
    } finally {
      await app.close();
    }
  });

  it('can be set by configuration and turned off with 0', async () => {
    const small = await buildApp({ redis, env: { RATE_LIMIT_GLOBAL_PER_MINUTE: '2' } });
    const ip = nextIp();
    expect((await get(small, '/t/open', ip)).statusCode).toBe(200);
    expect((await get(small, '/t/open', ip)).statusCode).toBe(200);
    expect((await get(small, '/t/open', ip)).statusCode).toBe(429);

    const off = await buildApp({ redis, env: { RATE_LIMIT_GLOBAL_PER_MINUTE: '0' } });
    for (let i = 0; i < 5; i++) {
      const response = await get(off, '/t/open', ip);
      expect(response.statusCode).toBe(200);
      expect(response.headers['ratelimit-limit']).toBeUndefined();
    }
  });
});

describe('inbound provider webhooks', () => {
  it('have their own wider budget: a burst past the people limit is still accepted, and bounded', async () => {
    const app = await buildApp({ redis, env: { RATE_LIMIT_GLOBAL_PER_MINUTE: '2' } });
    const ip = nextIp();
    expect((await get(app, '/t/open', ip)).statusCode).toBe(200);
    expect((await get(app, '/t/open', ip)).statusCode).toBe(200);
    expect((await get(app, '/t/open', ip)).statusCode).toBe(429);
    for (let i = 0; i < 20; i++) {
      const response = await app.inject({
        method: 'POST',
        url: '/api/v1/hooks/test',
        remoteAddress: ip,
        payload: {},
      });
      expect(response.statusCode).toBe(200);
      expect(response.headers['ratelimit-limit']).toBe('1000');
    }
  });
});

describe('per-route limits', () => {
  it('by client address, with RateLimit-* of the most restrictive limit, decreasing', async () => {
    const app = await buildApp({ redis });
    const ip = nextIp();
    const seen = [];
    for (let i = 0; i < 3; i++) {
      const response = await get(app, '/t/ip', ip);
      expect(response.statusCode).toBe(200);
      seen.push([response.headers['ratelimit-limit'], response.headers['ratelimit-remaining']]);
      expect(Number(response.headers['ratelimit-reset'])).toBeGreaterThan(0);
    }
    expect(seen).toEqual([
      ['3', '2'],
      ['3', '1'],
      ['3', '0'],
    ]);
    const refused = await get(app, '/t/ip', ip);
    expect(refused.statusCode).toBe(429);
    expect(refused.json().error.code).toBe('rate_limited');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.headers['ratelimit-limit']).toBe('3');

    expect((await get(app, '/t/ip', nextIp())).statusCode).toBe(200);
    // Other routes without their own limit still answer this address (the global limit shows).
    const open = await get(app, '/t/open', ip);
    expect(open.statusCode).toBe(200);
    expect(open.headers['ratelimit-limit']).toBe('100');
  });

  it('by user: one user across addresses shares a counter, another user has their own', async () => {
    const app = await buildApp({ redis });
    const alice = asPrincipal(testPrincipal());
    const bob = asPrincipal(testPrincipal());
    expect((await get(app, '/t/user', nextIp(), alice)).statusCode).toBe(200);
    expect((await get(app, '/t/user', nextIp(), alice)).statusCode).toBe(200);
    const refused = await get(app, '/t/user', nextIp(), alice);
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toBeDefined();
    expect((await get(app, '/t/user', nextIp(), bob)).statusCode).toBe(200);
    // Without a principal a `user` limit counts the client address.
    const ip = nextIp();
    expect((await get(app, '/t/user', ip)).statusCode).toBe(200);
    expect((await get(app, '/t/user', ip)).statusCode).toBe(200);
    expect((await get(app, '/t/user', ip)).statusCode).toBe(429);
  });

  it('by a key function reading the parsed body (login per account e-mail), beside a per-address limit', async () => {
    const prefix = freshPrefix();
    const app = await buildApp({ redis, prefix });
    const login = (ip: string, email: string) =>
      app.inject({ method: 'POST', url: '/t/login', remoteAddress: ip, payload: { email } });
    // The same account from two addresses: the per-email limit (2) refuses the third attempt.
    expect((await login(nextIp(), 'Victim@Example.test')).statusCode).toBe(200);
    const second = await login(nextIp(), 'victim@example.test');
    expect(second.statusCode).toBe(200);
    expect(second.headers['ratelimit-limit']).toBe('2');
    expect(second.headers['ratelimit-remaining']).toBe('0');
    expect((await login(nextIp(), 'victim@example.test')).statusCode).toBe(429);
    // Other accounts from one address: the per-address limit (3) refuses the fourth.
    const ip = nextIp();
    for (const n of [1, 2, 3]) expect((await login(ip, `user${n}@example.test`)).statusCode).toBe(200);
    expect((await login(ip, 'user4@example.test')).statusCode).toBe(429);

    // The counters live in Redis; the e-mail address never reaches it in the clear.
    const keys = await redis.keys(`${prefix}:per-email*`);
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.join(' ')).not.toContain('example.test');
  });

  it('points may depend on the request (tier-based limits)', async () => {
    const app = await buildApp({ redis });
    const freemium = asPrincipal(testPrincipal({ tier: 'freemium' }));
    const pro = asPrincipal(testPrincipal({ tier: 'pro' }));
    const ip = nextIp();
    const statuses = async (headers: Record<string, string>, n: number) => {
      const out = [];
      for (let i = 0; i < n; i++) out.push((await get(app, '/t/tier', ip, headers)).statusCode);
      return out;
    };
    expect(await statuses(freemium, 3)).toEqual([200, 200, 429]);
    expect(await statuses(pro, 5)).toEqual([200, 200, 200, 200, 429]);
  });

  it('refuses a route declaring an invalid limit at start', async () => {
    const app = await createTestApp({ database: db.database });
    apps.push(app);
    expect(() =>
      app.get(
        '/t/bad',
        { config: { rateLimits: [{ name: 'bad', points: 1, durationSeconds: 0, key: 'ip' }] } },
        async () => ({}),
      ),
    ).toThrow(/Invalid rate limit "bad"/);
  });
});

describe('across instances', () => {
  it('two app instances sharing one Redis count together', async () => {
    const prefix = freshPrefix();
    const env = { RATE_LIMIT_GLOBAL_PER_MINUTE: '10' };
    const a = await buildApp({ redis, prefix, env });
    const otherClient = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
    clients.push(otherClient);
    await otherClient.ping();
    const b = await buildApp({ redis: otherClient, prefix, env });

    // Per-route limit (3 per address): alternate A, B, A → the fourth, on B, is refused.
    const ip = nextIp();
    const routeStatuses = [];
    for (const app of [a, b, a, b]) routeStatuses.push((await get(app, '/t/ip', ip)).statusCode);
    expect(routeStatuses).toEqual([200, 200, 200, 429]);

    // Global limit (10 per minute here): five on each, then both refuse.
    const ip2 = nextIp();
    const globalStatuses = [];
    for (let i = 0; i < 12; i++)
      globalStatuses.push((await get(i % 2 === 0 ? a : b, '/t/open', ip2)).statusCode);
    expect(globalStatuses).toEqual([...Array(10).fill(200), 429, 429]);

    // Per user, by key function, the same.
    const carol = asPrincipal(testPrincipal());
    const userStatuses = [];
    for (const app of [b, a, b]) userStatuses.push((await get(app, '/t/user', nextIp(), carol)).statusCode);
    expect(userStatuses).toEqual([200, 200, 429]);
  });

  it('in memory (no Redis) every instance counts on its own', async () => {
    const prefix = freshPrefix();
    const a = await buildApp({ prefix });
    const b = await buildApp({ prefix });
    expect(a.rateLimiter.store).toBe('memory');
    const ip = nextIp();
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await get(a, '/t/ip', ip)).statusCode);
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect((await get(b, '/t/ip', ip)).statusCode).toBe(200);
    const refused = await get(a, '/t/ip', ip);
    expect(refused.headers['retry-after']).toBeDefined();
    expect(refused.headers['ratelimit-remaining']).toBe('0');
  });
});

describe('Redis outage', () => {
  it('degrades to counting in memory: no 500s, limits still enforced, Redis again when it returns', async () => {
    const { port } = new URL(TEST_REDIS_URL);
    const proxy = await startTcpProxy(new URL(TEST_REDIS_URL).hostname, Number(port || 6379));
    try {
      const viaProxy = new Redis(proxy.port, '127.0.0.1', {
        maxRetriesPerRequest: 1,
        retryStrategy: () => 50,
      });
      viaProxy.on('error', () => undefined);
      clients.push(viaProxy);
      await viaProxy.ping();
      const app = await buildApp({ redis: viaProxy });
      const ip = nextIp();
      expect((await get(app, '/t/ip', ip)).statusCode).toBe(200);
      expect((await get(app, '/t/ip', ip)).statusCode).toBe(200);

      await proxy.cut();
      const during = [];
      for (let i = 0; i < 5; i++) {
        const response = await get(app, '/t/ip', ip);
        during.push(response.statusCode);
        expect(response.headers['ratelimit-limit']).toBeDefined();
      }
      // The memory count starts afresh: three allowed, then refused — never a 500.
      expect(during).toEqual([200, 200, 200, 429, 429]);
      expect((await get(app, '/t/open', nextIp())).statusCode).toBe(200);

      await proxy.restore();
      await waitFor(() => viaProxy.status === 'ready');
      // Redis is tried again a few seconds after the last failure…
      vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 6_000 });
      // …and there the count from before the outage (2) still stands.
      expect((await get(app, '/t/ip', ip)).statusCode).toBe(200);
      expect((await get(app, '/t/ip', ip)).statusCode).toBe(429);
    } finally {
      vi.useRealTimers();
      await proxy.close();
    }
  });

  it('a Redis that stops answering (no error, just silence) degrades after a short timeout', async () => {
    const client = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
    clients.push(client);
    await client.ping();
    const app = await buildApp({ redis: client });
    const ip = nextIp();
    expect((await get(app, '/t/ip', ip)).statusCode).toBe(200);
    // Every Redis command now hangs.
    const hang = () => new Promise<never>(() => undefined);
    Object.assign(client, { rlflxIncr: hang });
    const started = Date.now();
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await get(app, '/t/ip', ip)).statusCode);
    expect(statuses).toEqual([200, 200, 200, 429]);
    // One timeout, then memory straight away for a few seconds (not one timeout per request).
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('an unreachable Redis from the start counts in memory', async () => {
    const dead = new Redis(1, '127.0.0.1', {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => 1_000,
    });
    dead.on('error', () => undefined);
    clients.push(dead);
    const app = await buildApp({ redis: dead });
    const ip = nextIp();
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await get(app, '/t/ip', ip)).statusCode);
    expect(statuses).toEqual([200, 200, 200, 429]);
  });
});

describe('consume() for callers outside route config', () => {
  it('counts, refuses, and resets', async () => {
    const app = await buildApp({ redis });
    const key = `account:${randomBytes(4).toString('hex')}`;
    const first = await app.rateLimiter.consume('failed-login', key, 2, 60);
    expect(first).toMatchObject({ allowed: true, limit: 2, remaining: 1 });
    await app.rateLimiter.consume('failed-login', key, 2, 60);
    const third = await app.rateLimiter.consume('failed-login', key, 2, 60);
    expect(third.allowed).toBe(false);
    expect(third.resetSeconds).toBeGreaterThan(0);
    await app.rateLimiter.reset('failed-login', key, 60);
    expect((await app.rateLimiter.consume('failed-login', key, 2, 60)).remaining).toBe(1);
  });
});

describe('Redis auto-pipelining', () => {
  it('a limit first used in the same tick as other Redis commands counts, and nothing is thrown', async () => {
    const client = await createRedis(TEST_REDIS_URL);
    await client.connect();
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    try {
      const limiter = createRateLimiter({
        redis: client,
        keyPrefix: `test:pipelining:${randomBytes(4).toString('hex')}`,
      });
      // A command opens this tick's pipeline, then a limit's first use makes its limiter, as when a
      // new limit's first request arrives beside other requests' ban lookups.
      const lookup = client.get('test:pipelining:ban');
      const consumed = limiter.consume('first-use', 'client', 10, 60);
      await expect(lookup).resolves.toBeNull();
      await expect(consumed).resolves.toMatchObject({ allowed: true, remaining: 9 });
      expect(limiter.store).toBe('redis');
      // ioredis throws from a process.nextTick callback when it runs a pipeline without the command.
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(uncaught).toEqual([]);
    } finally {
      process.off('uncaughtException', onUncaught);
      client.disconnect();
    }
  });
});

async function waitFor(check: () => boolean, timeoutMs = 5_000) {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
