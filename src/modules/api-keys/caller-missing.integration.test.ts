import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, createTestApp } from '../../../test/support/app.js';
import { type TestDatabase, createPostgresTestDatabase } from '../../../test/support/database.js';
import { asPrincipal, testPrincipal, trustTestPrincipalHeader } from '../../../test/support/principal.js';

let testDb: TestDatabase;
let app: TestApp;

beforeAll(async () => {
  testDb = await createPostgresTestDatabase();
  app = await createTestApp({ database: testDb.database });
  trustTestPrincipalHeader(app);
  await app.ready();
}, 60_000);

afterAll(async () => {
  await app?.close();
  await testDb?.dispose();
});

describe('a caller whose user row is gone (deleted after the request was authenticated)', () => {
  // The principal names a user that no longer exists: every route answers as it would to a
  // credential that identifies nobody, with one code.
  const ghost = asPrincipal(testPrincipal({ sessionId: randomUUID() }));

  it.each([
    ['GET', '/api/v1/me', undefined],
    ['POST', '/api/v1/api-keys', { name: 'ci', scopes: ['account:read'] }],
    ['POST', '/api/v1/mfa/totp', undefined],
    [
      'POST',
      '/api/v1/auth/password/change',
      { currentPassword: 'whatever it was', newPassword: 'a fresh and long passphrase 7' },
    ],
  ] as const)('%s %s is 401 unauthenticated', async (method, url, payload) => {
    const response = await app.inject({ method, url, headers: ghost, ...(payload ? { payload } : {}) });
    expect(response.statusCode).toBe(401);
    expect(response.json().error.code).toBe('unauthenticated');
  });
});
