import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestApp } from '../../../test/support/app.js';
import { solveCaptcha } from '../../../test/support/captcha.js';
import { createPostgresTestDatabase, type TestDatabase } from '../../../test/support/database.js';
import { TEST_REDIS_URL } from '../../../test/support/services.js';
import { type TcpProxy, startTcpProxy } from '../../../test/support/tcp-proxy.js';
import { createRedis } from '../../platform/redis.js';

/**
 * Redis is optional (SPEC §9): a frozen Redis must not stop people from registering, and a solved
 * captcha is still single-use (its claim lives in the database).
 */
let testDb: TestDatabase;
let proxy: TcpProxy;
let redis: Redis;
let app: FastifyInstance;

beforeAll(async () => {
  testDb = await createPostgresTestDatabase(6);
  const target = new URL(TEST_REDIS_URL);
  proxy = await startTcpProxy(target.hostname, Number(target.port || 6379));
  redis = await createRedis(`redis://127.0.0.1:${proxy.port}`);
  await redis.connect();
  app = await createTestApp({ database: testDb.database, redis });
  await app.ready();
}, 60_000);

afterAll(async () => {
  await app?.close();
  redis?.disconnect();
  await proxy?.close();
  await testDb?.dispose();
});

it('registers with a solved captcha while Redis is frozen, and the captcha cannot be used twice', async () => {
  const captcha = await solveCaptcha(app);
  proxy.freeze();
  const register = (email: string) =>
    app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { email, password: 'correct horse battery staple', captcha },
    });
  const first = await register('frozen-redis@example.test');
  expect(first.statusCode, first.body).toBe(202);
  const replay = await register('frozen-redis-2@example.test');
  expect(replay.statusCode).toBe(403);
  expect(replay.json().error.code).toBe('captcha_required');
});
