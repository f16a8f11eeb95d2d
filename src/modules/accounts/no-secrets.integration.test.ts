import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type TestApp, createTestApp } from '../../../test/support/app.js';
import { solveCaptcha } from '../../../test/support/captcha.js';
import { type TestDatabase, createPostgresTestDatabase } from '../../../test/support/database.js';
import { TEST_REDIS_URL } from '../../../test/support/services.js';

let testDb: TestDatabase;
let redis: Redis;
let app: TestApp;
const logLines: string[] = [];

beforeAll(async () => {
  testDb = await createPostgresTestDatabase();
  redis = new Redis(TEST_REDIS_URL);
  const logStream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(chunk.toString('utf8'));
      done();
    },
  });
  app = await createTestApp({ database: testDb.database, redis, logStream, env: { LOG_LEVEL: 'trace' } });
  await app.ready();
}, 60_000);

afterAll(async () => {
  await app?.close();
  redis?.disconnect();
  await testDb?.dispose();
});

it('never writes a password, token or key to a log line or into a later response body', async () => {
  const bodies: string[] = [];
  const call = async (options: InjectOptions): Promise<LightMyRequestResponse> => {
    const response = await app.inject({ remoteAddress: '10.77.0.1', ...options });
    bodies.push(response.body);
    return response;
  };
  const email = `leak-${randomUUID().slice(0, 8)}@example.test`;
  const password = `Zq!${randomUUID()}`;
  expect(
    (
      await call({
        method: 'POST',
        url: '/api/v1/auth/register',
        payload: { email, password, captcha: await solveCaptcha(app, '10.77.0.1') },
      })
    ).statusCode,
  ).toBe(202);
  // A failed attempt with a different secret-looking password too.
  const wrongPassword = `Wr0ng-${randomUUID()}`;
  await call({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password: wrongPassword } });
  const loggedIn = await call({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password } });
  const first = loggedIn.json<{ accessToken: string; refreshToken: string; user: { id: string } }>();
  const refreshed = await call({
    method: 'POST',
    url: '/api/v1/auth/refresh',
    payload: { refreshToken: first.refreshToken },
  });
  const second = refreshed.json<{ accessToken: string; refreshToken: string }>();
  await app.services.accounts.setUserTier(first.user.id, 'payg');
  const created = await call({
    method: 'POST',
    url: '/api/v1/api-keys',
    headers: { authorization: `Bearer ${second.accessToken}` },
    payload: { name: 'ci', scopes: ['account:read'] },
  });
  const apiKey = created.json<{ key: string }>().key;
  await call({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${apiKey}` } });
  await call({
    method: 'GET',
    url: '/api/v1/api-keys',
    headers: { authorization: `Bearer ${second.accessToken}` },
  });
  await call({
    method: 'POST',
    url: '/api/v1/auth/logout',
    headers: { authorization: `Bearer ${second.accessToken}` },
  });

  expect(logLines.length).toBeGreaterThan(5);
  const logs = logLines.join('\n');
  for (const secret of [
    password,
    wrongPassword,
    first.accessToken,
    first.refreshToken,
    second.accessToken,
    second.refreshToken,
    apiKey,
  ]) {
    expect(logs).not.toContain(secret);
  }
  // Each secret appears only in the one response that hands it out, never in any other body.
  const handedOutIn = (secret: string) => bodies.filter((body) => body.includes(secret)).length;
  expect(handedOutIn(password)).toBe(0);
  expect(handedOutIn(wrongPassword)).toBe(0);
  expect(handedOutIn(first.accessToken)).toBe(1);
  expect(handedOutIn(first.refreshToken)).toBe(1);
  expect(handedOutIn(second.refreshToken)).toBe(1);
  expect(handedOutIn(apiKey)).toBe(1);
  // Nor are secrets stored where the audit log could show them.
  const audit = await testDb.database.sql.query('select details::text as d from audit_log');
  const auditText = audit.rows.map((r) => String(r.d)).join('\n');
  for (const secret of [password, wrongPassword, first.refreshToken, apiKey])
    expect(auditText).not.toContain(secret);
});
