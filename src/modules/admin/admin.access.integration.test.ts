import { describe, expect, it } from 'vitest';
import { routesUnder, signInAdmin, signInUser } from '../../../test/support/admin.js';
import { randomUUID } from 'node:crypto';
import { fundWallet } from '../../../test/support/wallet.js';
import { ADMIN_PREFIX } from './index.js';
import { adjustmentsOf, admin, app, call, testDb, useAdminSuite } from './admin.suite.js';

useAdminSuite();

describe('who may call the admin routes', () => {
  it('every registered admin route refuses non-admins, admins without MFA and API keys, and admits an admin with MFA', async () => {
    const routes = routesUnder(app, ADMIN_PREFIX);
    // The route tree of the app, not a hand list: a new admin route is checked by this test too.
    expect(routes.length).toBeGreaterThanOrEqual(15);
    const user = await signInUser(app);
    const noMfa = await signInAdmin(app, { mfa: false });
    // An admin's own API key (the admin's tier allows keys) is refused like any key.
    await app.services.accounts.setUserTier(admin.userId, 'payg');
    const made = await call(admin, {
      method: 'POST',
      url: '/api/v1/api-keys',
      payload: { name: 'admin key', scopes: ['account:read', 'wallet:read'] },
    });
    expect(made.statusCode, made.body).toBe(201);
    const apiKey = { accessToken: made.json<{ key: string }>().key };

    for (const route of routes) {
      const url = route.url.replace(':id', user.userId).replace(':name', 'payg');
      const method = route.method as 'GET' | 'POST' | 'PUT' | 'PATCH';
      const payload = method === 'GET' ? undefined : {};
      const what = `${route.method} ${route.url}`;

      const anonymous = await call(null, { method, url, payload });
      expect(anonymous.statusCode, what).toBe(401);

      const asUser = await call(user, { method, url, payload });
      expect(asUser.statusCode, what).toBe(403);
      expect(asUser.json().error.code, what).toBe('forbidden');

      const withoutMfa = await call(noMfa, { method, url, payload });
      expect(withoutMfa.statusCode, what).toBe(403);
      expect(withoutMfa.json().error.code, what).toBe('mfa_setup_required');

      const byKey = await call(apiKey, { method, url, payload });
      expect(byKey.statusCode, what).toBe(403);

      // The guard lets an administrator with MFA through: an empty body is then a validation error.
      const allowed = await call(admin, { method, url, payload });
      expect([200, 400], `${what}: ${allowed.body}`).toContain(allowed.statusCode);
    }
    // None of those refused requests changed anything.
    expect(await adjustmentsOf(user.userId)).toEqual({ transactions: 0, auditEntries: 0 });
  });
});

describe('the OpenAPI document', () => {
  it('lists every admin route with the MFA refusal among its 403 codes', async () => {
    const doc = (await call(null, { url: '/api/openapi.json' })).json<{
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    }>();
    const routes = routesUnder(app, ADMIN_PREFIX);
    for (const route of routes) {
      const path = route.url.replace(/:(\w+)/g, '{$1}');
      const operation = doc.paths[path]?.[route.method.toLowerCase()];
      expect(operation, `${route.method} ${path}`).toBeDefined();
      expect(JSON.stringify(operation!.responses['403']), path).toContain('mfa_setup_required');
    }
  });
});

describe('users', () => {
  it('finds users by e-mail fragment or id, page by page, and shows one with wallet and tier', async () => {
    const tag = randomUUID().slice(0, 6);
    const made = await Promise.all(
      [1, 2, 3].map((i) =>
        app.services.accounts.createUser({
          email: `find-${tag}-${i}@example.test`,
          password: 'a long passphrase 1',
        }),
      ),
    );
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await call(admin, {
        url: `${ADMIN_PREFIX}/users?q=${tag.toUpperCase()}&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      });
      expect(page.statusCode, page.body).toBe(200);
      const body = page.json<{ data: { email: string }[]; nextCursor: string | null }>();
      seen.push(...body.data.map((u) => u.email));
      cursor = body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([1, 2, 3].map((i) => `find-${tag}-${i}@example.test`));

    const target = made[1]!;
    const byId = await call(admin, { url: `${ADMIN_PREFIX}/users?q=${target.id}` });
    expect(byId.json<{ data: { id: string }[] }>().data.map((u) => u.id)).toEqual([target.id]);
    // A LIKE wildcard in the query is a character, not a pattern.
    const wildcard = await call(admin, { url: `${ADMIN_PREFIX}/users?q=${encodeURIComponent('%')}` });
    expect(wildcard.json<{ data: unknown[] }>().data).toEqual([]);

    await fundWallet(testDb.database.db, target.id, 700);
    const detail = await call(admin, { url: `${ADMIN_PREFIX}/users/${target.id}` });
    expect(detail.statusCode, detail.body).toBe(200);
    expect(detail.json()).toMatchObject({
      user: { id: target.id, email: target.email, status: 'active', tier: 'freemium', role: 'user' },
      wallet: {
        balance: { amount: 700, currency: 'USD' },
        held: { amount: 0, currency: 'USD' },
        includedUsage: { freeVerifications: 1 },
      },
      tier: { name: 'freemium' },
      apiKeys: [],
    });
    const ledger = await call(admin, { url: `${ADMIN_PREFIX}/users/${target.id}/ledger` });
    expect(ledger.json<{ data: { type: string; amount: { amount: number } }[] }>().data).toEqual([
      expect.objectContaining({ amount: { amount: 700, currency: 'USD' } }),
    ]);
    for (const tail of ['', '/ledger', '/verifications', '/topups']) {
      const missing = await call(admin, { url: `${ADMIN_PREFIX}/users/${randomUUID()}${tail}` });
      expect(missing.statusCode, tail).toBe(404);
    }
    const bad = await call(admin, { url: `${ADMIN_PREFIX}/users?cursor=not-a-cursor!` });
    expect(bad.statusCode).toBe(400);
  });

  it('suspension refuses the user’s next call (token and API key) and unsuspension restores it, both audited', async () => {
    const user = await signInUser(app);
    await app.services.accounts.setUserTier(user.userId, 'payg');
    const made = await call(user, {
      method: 'POST',
      url: '/api/v1/api-keys',
      payload: { name: 'k', scopes: ['account:read'] },
    });
    const key = { accessToken: made.json<{ key: string }>().key };
    expect((await call(key, { url: '/api/v1/me' })).statusCode).toBe(200);

    const suspended = await call(admin, {
      method: 'POST',
      url: `${ADMIN_PREFIX}/users/${user.userId}/suspend`,
      payload: { reason: 'chargeback fraud ring' },
    });
    expect(suspended.statusCode, suspended.body).toBe(200);
    expect(suspended.json()).toMatchObject({ id: user.userId, status: 'suspended' });
    for (const caller of [key, user]) {
      const refused = await call(caller, { url: '/api/v1/me' });
      expect(refused.statusCode).toBe(403);
    }

    const restored = await call(admin, {
      method: 'POST',
      url: `${ADMIN_PREFIX}/users/${user.userId}/unsuspend`,
      payload: { reason: 'cleared by support' },
    });
    expect(restored.json()).toMatchObject({ status: 'active' });
    expect((await call(key, { url: '/api/v1/me' })).statusCode).toBe(200);

    const log = await call(admin, {
      url: `${ADMIN_PREFIX}/audit-log?subjectId=${user.userId}&actorId=${admin.userId}`,
    });
    const entries = log.json<{ data: { action: string; ip: string | null; details: object }[] }>().data;
    expect(entries.map((e) => e.action)).toEqual(['user.unsuspended', 'user.suspended']);
    expect(entries[1]).toMatchObject({
      details: { reason: 'chargeback fraud ring' },
      ip: expect.any(String),
    });

    // An administrator cannot lock themselves out.
    const self = await call(admin, {
      method: 'POST',
      url: `${ADMIN_PREFIX}/users/${admin.userId}/suspend`,
      payload: { reason: 'oops, myself' },
    });
    expect(self.statusCode).toBe(403);
  });
});
