import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { testConfig } from '../../../test/support/app.js';
import { createAccessTokens } from './access-tokens.js';
import { deriveKey } from './secrets.js';
import * as store from './store.js';
import { useAccountsSuite, testDb, app, inject, login, signedUp, bearer } from './accounts.suite.js';

useAccountsSuite();

describe('sessions and tokens', () => {
  it('rotates refresh tokens and revokes the whole family on reuse', async () => {
    const { refreshToken } = await signedUp();
    const first = await inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refreshToken } });
    expect(first.statusCode).toBe(200);
    const rotated = first.json<{ accessToken: string; refreshToken: string }>();
    expect(rotated.refreshToken).not.toBe(refreshToken);
    // The old token again: reuse → the family (session) is revoked.
    expect(
      (await inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refreshToken } })).statusCode,
    ).toBe(401);
    expect(
      (
        await inject({
          method: 'POST',
          url: '/api/v1/auth/refresh',
          payload: { refreshToken: rotated.refreshToken },
        })
      ).statusCode,
    ).toBe(401);
    expect(
      (await inject({ method: 'GET', url: '/api/v1/me', headers: bearer(rotated.accessToken) })).statusCode,
    ).toBe(401);
  });

  it('refuses both tokens after logout', async () => {
    const { accessToken, refreshToken } = await signedUp();
    expect(
      (await inject({ method: 'GET', url: '/api/v1/me', headers: bearer(accessToken) })).statusCode,
    ).toBe(200);
    const out = await inject({ method: 'POST', url: '/api/v1/auth/logout', headers: bearer(accessToken) });
    expect(out.statusCode, out.body).toBe(204);
    expect(
      (await inject({ method: 'GET', url: '/api/v1/me', headers: bearer(accessToken) })).statusCode,
    ).toBe(401);
    expect(
      (await inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refreshToken } })).statusCode,
    ).toBe(401);
  });

  it('refuses alg none, a wrong key, an expired and a tampered JWT', async () => {
    const { accessToken, userId } = await signedUp();
    const [header, payload, signature] = accessToken.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${payload}.`;
    const wrongKey = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new Uint8Array(deriveKey('another-secret-entirely-0123456789', 'access-jwt-hs256')));
    const expired = await createAccessTokens(testConfig()).sign(userId, String(claims.sid), {
      expiresInSeconds: -60,
    });
    const tamperedPayload = Buffer.from(JSON.stringify({ ...claims, sub: randomUUID() })).toString(
      'base64url',
    );
    const tampered = `${header}.${tamperedPayload}.${signature}`;
    for (const token of [none, wrongKey, expired, tampered, 'garbage']) {
      const response = await inject({ method: 'GET', url: '/api/v1/me', headers: bearer(token) });
      expect(response.statusCode).toBe(401);
      expect(response.json().error.code).toBe('unauthenticated');
    }
  });

  it('lists own sessions; another user’s session is 404', async () => {
    const alice = await signedUp();
    const bob = await signedUp();
    const list = await inject({ method: 'GET', url: '/api/v1/sessions', headers: bearer(alice.accessToken) });
    expect(list.statusCode).toBe(200);
    const sessions = list.json<{ data: { id: string; current: boolean }[] }>().data;
    expect(sessions.some((s) => s.current)).toBe(true);
    const aliceSession = sessions[0]!.id;
    expect(
      (
        await inject({
          method: 'DELETE',
          url: `/api/v1/sessions/${aliceSession}`,
          headers: bearer(bob.accessToken),
        })
      ).statusCode,
    ).toBe(404);
    expect(
      (
        await inject({
          method: 'DELETE',
          url: `/api/v1/sessions/${aliceSession}`,
          headers: bearer(alice.accessToken),
        })
      ).statusCode,
    ).toBe(204);
    expect(
      (await inject({ method: 'GET', url: '/api/v1/me', headers: bearer(alice.accessToken) })).statusCode,
    ).toBe(401);
  });

  it('needs the CSRF header for cookie-authenticated state changes', async () => {
    const { cookies } = await signedUp();
    const cookieHeader = `nmk_access=${cookies.nmk_access}; nmk_csrf=${cookies.nmk_csrf}`;
    expect(
      (await inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: cookieHeader } })).statusCode,
    ).toBe(200);
    const without = await inject({
      method: 'POST',
      url: '/api/v1/mfa/totp',
      headers: { cookie: cookieHeader },
    });
    expect(without.statusCode).toBe(403);
    expect(without.json().error.code).toBe('csrf_failed');
    const wrong = await inject({
      method: 'POST',
      url: '/api/v1/mfa/totp',
      headers: { cookie: cookieHeader, 'x-csrf-token': 'x'.repeat(32) },
    });
    expect(wrong.statusCode).toBe(403);
    const right = await inject({
      method: 'POST',
      url: '/api/v1/mfa/totp',
      headers: { cookie: cookieHeader, 'x-csrf-token': cookies.nmk_csrf! },
    });
    expect(right.statusCode).toBe(200);
  });

  it('moves no money for an unconfirmed address: top-ups and purchases need a confirmed e-mail', async () => {
    const user = await signedUp();
    const topup = await inject({
      method: 'POST',
      url: '/api/v1/wallet/topups',
      headers: bearer(user.accessToken),
      payload: { amount: 500 },
    });
    expect(topup.statusCode).toBe(403);
    expect(topup.json().error.code).toBe('email_unconfirmed');
    const purchase = await inject({
      method: 'POST',
      url: '/api/v1/verifications',
      headers: { ...bearer(user.accessToken), 'idempotency-key': 'unconfirmed-1' },
      payload: { service: 'whatsapp', country: 'US' },
    });
    expect(purchase.statusCode).toBe(403);
    expect(purchase.json().error.code).toBe('email_unconfirmed');
    // The refusal was not remembered against the key.
    const stored = await testDb.database.sql.query(
      'select count(*)::int as n from idempotency_keys where key = $1',
      ['unconfirmed-1'],
    );
    expect(stored.rows[0]).toEqual({ n: 0 });
  });

  it('refuses to refresh a suspended user’s token before rotating it', async () => {
    const user = await signedUp();
    await app.services.accounts.suspendUser(user.userId, null, 'test');
    const refresh = () =>
      inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refreshToken: user.refreshToken } });
    const refused = await refresh();
    expect(refused.statusCode).toBe(403);
    const tokens = await testDb.database.sql.query(
      `select t.rotated_at from refresh_tokens t join sessions s on s.id = t.session_id where s.user_id = $1`,
      [user.userId],
    );
    expect(tokens.rows).toEqual([{ rotated_at: null }]);
    // Not consumed: once unsuspended the same token rotates normally (no reuse alarm, no revocation).
    await app.services.accounts.unsuspendUser(user.userId);
    const again = await refresh();
    expect(again.statusCode, again.body).toBe(200);
  });

  it('refuses a suspended user everywhere, at once', async () => {
    const user = await signedUp();
    await app.services.accounts.suspendUser(user.userId, null, 'test');
    expect(
      (await inject({ method: 'GET', url: '/api/v1/me', headers: bearer(user.accessToken) })).statusCode,
    ).toBe(403);
    expect(
      (await inject({ method: 'GET', url: '/api/v1/api-keys', headers: bearer(user.accessToken) }))
        .statusCode,
    ).toBe(403);
    expect((await login(user.email)).statusCode).toBe(403);
  });
});

describe('API keys', () => {
  it('are shown once, scoped, tier-limited, owner-only and refused after revocation', async () => {
    const user = await signedUp();
    const create = (body: object, token = user.accessToken) =>
      inject({ method: 'POST', url: '/api/v1/api-keys', headers: bearer(token), payload: body });
    expect((await create({ name: 'k', scopes: ['account:read'] })).json().error.code).toBe('tier_required');
    await app.services.accounts.setUserTier(user.userId, 'payg');
    const made = await create({ name: 'reader', scopes: ['account:read'] });
    expect(made.statusCode).toBe(201);
    const key = made.json<{ key: string; id: string; prefix: string }>();
    expect(key.key.startsWith('nmk_live_')).toBe(true);
    expect(key.key.startsWith(key.prefix)).toBe(true);
    const narrow = (await create({ name: 'wallet', scopes: ['wallet:read'] })).json<{
      key: string;
      id: string;
    }>();
    expect((await create({ name: 'third', scopes: ['wallet:read'] })).statusCode).toBe(403);

    const list = await inject({ method: 'GET', url: '/api/v1/api-keys', headers: bearer(user.accessToken) });
    expect(list.body).not.toContain(key.key);
    expect((await inject({ method: 'GET', url: '/api/v1/me', headers: bearer(key.key) })).statusCode).toBe(
      200,
    );
    const noScope = await inject({ method: 'GET', url: '/api/v1/me', headers: bearer(narrow.key) });
    expect(noScope.statusCode).toBe(403);
    // A key cannot manage keys.
    expect(
      (await inject({ method: 'GET', url: '/api/v1/api-keys', headers: bearer(key.key) })).statusCode,
    ).toBe(403);

    const other = await signedUp();
    expect(
      (
        await inject({
          method: 'DELETE',
          url: `/api/v1/api-keys/${key.id}`,
          headers: bearer(other.accessToken),
        })
      ).statusCode,
    ).toBe(404);
    expect(
      (
        await inject({
          method: 'DELETE',
          url: `/api/v1/api-keys/${key.id}`,
          headers: bearer(user.accessToken),
        })
      ).statusCode,
    ).toBe(204);
    expect((await inject({ method: 'GET', url: '/api/v1/me', headers: bearer(key.key) })).statusCode).toBe(
      401,
    );
  });

  it('honours the IP allowlist', async () => {
    const user = await signedUp();
    await app.services.accounts.setUserTier(user.userId, 'pro');
    const made = await inject({
      method: 'POST',
      url: '/api/v1/api-keys',
      headers: bearer(user.accessToken),
      payload: { name: 'office', scopes: ['account:read'], allowedCidrs: ['192.0.2.0/24'] },
    });
    const key = made.json<{ key: string }>().key;
    expect(
      (await inject({ method: 'GET', url: '/api/v1/me', headers: bearer(key), ip: '192.0.2.7' })).statusCode,
    ).toBe(200);
    expect(
      (await inject({ method: 'GET', url: '/api/v1/me', headers: bearer(key), ip: '198.51.100.7' }))
        .statusCode,
    ).toBe(403);
  });
});

describe('the batched live-session lookup', () => {
  it('answers each (session, user) of one batch on its own: live, revoked, expired, another user’s', async () => {
    const db = testDb.database.db;
    const alice = (await store.insertUser(db, {
      email: `a-${randomUUID()}@example.test`,
      passwordHash: 'x',
    }))!;
    const bob = (await store.insertUser(db, { email: `b-${randomUUID()}@example.test`, passwordHash: 'x' }))!;
    const session = (userId: string, expiresInMs = 60_000) =>
      store.insertSession(db, {
        userId,
        userAgent: null,
        ip: null,
        expiresAt: new Date(Date.now() + expiresInMs),
      });
    const live = await session(alice.id);
    const revoked = await session(alice.id);
    await store.revokeSession(db, revoked.id, 'test');
    const expired = await session(alice.id, -1_000);
    const bobs = await session(bob.id);

    const answers = await store.liveSessionsWithUsers(db, [
      { sessionId: live.id, userId: alice.id },
      { sessionId: revoked.id, userId: alice.id },
      { sessionId: expired.id, userId: alice.id },
      { sessionId: bobs.id, userId: alice.id }, // a token naming Bob's session for Alice
      { sessionId: bobs.id, userId: bob.id },
      { sessionId: live.id, userId: alice.id }, // the same session twice in one batch
      { sessionId: randomUUID(), userId: alice.id },
    ]);
    expect(answers.map((a) => a && [a.session.id, a.user.id])).toEqual([
      [live.id, alice.id],
      undefined,
      undefined,
      undefined,
      [bobs.id, bob.id],
      [live.id, alice.id],
      undefined,
    ]);
  });
});
