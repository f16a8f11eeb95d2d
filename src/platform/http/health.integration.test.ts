import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, testPlatform } from '../../../test/support/app.js';
import { type TestDatabase, createPostgresTestDatabase } from '../../../test/support/database.js';
import { TEST_REDIS_URL } from '../../../test/support/services.js';
import { registerLedgerMetrics } from '../../modules/ledger/index.js';
import { createMetrics } from '../metrics.js';
import { createRedis } from '../redis.js';
import { buildApp } from '../../app.js';
import { createServices } from '../../services.js';

describe('health, readiness and metrics', () => {
  let testDb: TestDatabase;
  beforeAll(async () => {
    testDb = await createPostgresTestDatabase(4);
  });
  afterAll(async () => {
    await testDb?.dispose();
  });

  it('is ready with the database and a reachable Redis', async () => {
    const redis = await createRedis(TEST_REDIS_URL);
    const app = await createTestApp({ database: testDb.database, redis });
    try {
      const response = await app.inject({ url: '/readyz' });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({
        status: 'ready',
        checks: { database: 'ok', redis: 'ok', jobs: 'not_configured' },
      });
    } finally {
      await app.close();
      redis.disconnect();
    }
  });

  it('is ready but degraded (200) when the configured Redis is unreachable: Redis is optional', async () => {
    const redis = await createRedis('redis://127.0.0.1:1');
    const app = await createTestApp({ database: testDb.database, redis });
    try {
      const response = await app.inject({ url: '/readyz' });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({
        status: 'degraded',
        checks: { database: 'ok', redis: 'down' },
      });
      expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await app.close();
      redis.disconnect();
    }
  });

  it('exposes Prometheus metrics with request timings and the ledger invariant gauge', async () => {
    const metrics = createMetrics();
    registerLedgerMetrics(metrics, testDb.database.db);
    const platform = { ...testPlatform({ database: testDb.database }), metrics };
    const app = await buildApp(platform, createServices(platform));
    try {
      await app.inject({ url: '/healthz' });
      const response = await app.inject({ url: '/metrics' });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toContain('text/plain');
      expect(response.body).toContain('namaskah_ledger_invariant_violations 0');
      expect(response.body).toMatch(
        /namaskah_http_request_duration_seconds_count\{method="GET",route="\/healthz",status="200"\} 1/,
      );
    } finally {
      await app.close();
    }
  });

  it('errors are JSON with a request id, and never a stack trace', async () => {
    const app = await createTestApp({ database: testDb.database });
    app.get('/test/boom', async () => {
      throw new Error('secret internal detail at /srv/app.ts:12');
    });
    app.post('/test/echo', async (request) => request.body);
    try {
      const response = await app.inject({ url: '/test/boom', headers: { 'x-request-id': 'req-12345678' } });
      expect(response.statusCode).toBe(500);
      expect(response.json()).toEqual({
        error: { code: 'internal_error', message: 'Something went wrong on our side.' },
      });
      expect(response.headers['x-request-id']).toBe('req-12345678');
      const badJson = await app.inject({
        method: 'POST',
        url: '/test/echo',
        headers: { 'content-type': 'application/json' },
        payload: '{"broken":',
      });
      expect(badJson.statusCode).toBe(400);
      expect(badJson.json()).toEqual({ error: { code: 'bad_request', message: expect.any(String) } });
      const missing = await app.inject({ url: '/nowhere' });
      expect(missing.json()).toEqual({ error: { code: 'not_found', message: 'No route for GET /nowhere.' } });
    } finally {
      await app.close();
    }
  });
});
