import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp } from '../../../../test/support/app.js';
import { type TestDatabase, createPostgresTestDatabase } from '../../../../test/support/database.js';
import { TEST_REDIS_URL } from '../../../../test/support/services.js';
import { type TcpProxy, startTcpProxy } from '../../../../test/support/tcp-proxy.js';
import { createRedis } from '../../redis.js';

/** Temporary bans of repeat offenders hold across instances sharing one Redis, and never cause a 500. */
let db: TestDatabase;
const apps: FastifyInstance[] = [];
const clients: Redis[] = [];

beforeAll(async () => {
  db = await createPostgresTestDatabase(4);
});
afterAll(async () => {
  await Promise.all(apps.map((app) => app.close()));
  for (const client of clients) client.disconnect();
  await db.dispose();
});

async function instance(redis: Redis, prefix: string) {
  const app = await createTestApp({ database: db.database, redis, env: { RATE_LIMIT_KEY_PREFIX: prefix } });
  app.get('/api/v1/ping', async () => ({ ok: true }));
  await app.ready();
  apps.push(app);
  return app;
}

const attack = (app: FastifyInstance, ip: string) =>
  app.inject({ method: 'GET', url: "/api/v1/ping?q=' OR 1=1--", remoteAddress: ip });
const clean = (app: FastifyInstance, ip: string) =>
  app.inject({ method: 'GET', url: '/api/v1/ping', remoteAddress: ip });

describe('WAF bans through Redis', () => {
  it('an offender banned through one instance is refused by the other', async () => {
    const prefix = `test:${randomUUID()}`;
    const redisA = new Redis(TEST_REDIS_URL);
    const redisB = new Redis(TEST_REDIS_URL);
    clients.push(redisA, redisB);
    const a = await instance(redisA, prefix);
    const b = await instance(redisB, prefix);
    const ip = '203.0.113.7';
    // Ten blocked requests, split across both instances, earn the ban.
    for (let i = 0; i < 10; i++) expect((await attack(i % 2 ? a : b, ip)).statusCode).toBe(403);
    const refused = await clean(b, ip);
    expect(refused.statusCode).toBe(403);
    expect((await clean(a, ip)).statusCode).toBe(403);
    expect((await clean(a, '203.0.113.8')).statusCode).toBe(200);
  });

  it('a Redis outage degrades to this instance’s memory: no 500s, bans still work locally', async () => {
    const proxy: TcpProxy = await startTcpProxy('127.0.0.1', Number(new URL(TEST_REDIS_URL).port || 6379));
    const redis = await createRedis(`redis://127.0.0.1:${proxy.port}`);
    clients.push(redis);
    await redis.connect();
    const app = await instance(redis, `test:${randomUUID()}`);
    await proxy.cut();
    const ip = '203.0.113.9';
    for (let i = 0; i < 10; i++) expect((await attack(app, ip)).statusCode).toBe(403);
    expect((await clean(app, ip)).statusCode).toBe(403);
    expect((await clean(app, '203.0.113.10')).statusCode).toBe(200);
    await proxy.close();
  });
});
