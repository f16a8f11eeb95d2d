import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, createTestApp } from '../../../test/support/app.js';
import { type TestDatabase, createPostgresTestDatabase } from '../../../test/support/database.js';
import { asPrincipal, testPrincipal, trustTestPrincipalHeader } from '../../../test/support/principal.js';

let testDb: TestDatabase;
let app: TestApp;

beforeAll(async () => {
  // A database of its own: no tier row has been read (and cached) by anything before this file.
  testDb = await createPostgresTestDatabase(2);
  app = await createTestApp({ database: testDb.database });
  trustTestPrincipalHeader(app);
  await app.ready();
}, 60_000);

afterAll(async () => {
  await app?.close();
  await testDb?.dispose();
});

describe('the tiers table is the one source of truth for limits', () => {
  it('limits purchases by the tier row from the very first purchase', async () => {
    // An admin's edit straight in the table: nothing in the process has this figure yet.
    await testDb.database.sql.query(`update tiers set purchase_rate_per_minute = 2 where name = 'freemium'`);
    const user = asPrincipal(testPrincipal({ tier: 'freemium' }));
    const buy = () =>
      app.inject({
        method: 'POST',
        url: '/api/v1/verifications',
        headers: user,
        payload: { service: 'whatsapp', country: 'US' },
      });
    const first = await buy();
    expect(first.headers['ratelimit-limit']).toBe('2');
    await buy();
    const third = await buy();
    expect(third.statusCode).toBe(429);
    expect(third.json().error.code).toBe('rate_limited');
  });
});

describe('a tier missing from the table', () => {
  it('is an internal error (a deployment fault), not a code of its own', async () => {
    await expect(app.services.tiers.get('no-such-tier')).rejects.toMatchObject({
      status: 500,
      code: 'internal_error',
    });
  });
});
