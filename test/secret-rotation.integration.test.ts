import { randomUUID } from 'node:crypto';
import type { InjectOptions } from 'fastify';
import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEALED_WEBHOOK_SECRETS } from '../src/modules/webhooks/index.js';
import { createSealer } from '../src/modules/accounts/index.js';
import { resealAll } from '../src/reseal.js';
import { type TestApp, createTestApp } from './support/app.js';
import { type SignedIn, signInUser } from './support/admin.js';
import { nextIp } from './support/attacker.js';
import { type TestDatabase, createPostgresTestDatabase } from './support/database.js';

/**
 * Rotating APP_SECRET without downtime (docs/deploy.md): instances on the new secret with the old
 * one as a fallback accept everything the old one signed or sealed; `secrets:reseal` moves every
 * sealed value to the new secret; then the fallback can go, and only access tokens signed with the
 * old secret (15 minutes of life) stop working.
 */
const OLD = 'old-secret-'.padEnd(40, 'o');
const NEW = 'new-secret-'.padEnd(40, 'n');
const now = () => Math.floor(Date.now() / 1000);

let testDb: TestDatabase;
const apps: TestApp[] = [];
let user: SignedIn;
let totpSecret: string;
let webhookSecret: string;
let rotated: { key: string; idempotencyKey: string; keyId: string };

async function appWith(env: Record<string, string>): Promise<TestApp> {
  const app = await createTestApp({
    database: testDb.database,
    env: { ALLOW_PRIVATE_WEBHOOK_TARGETS: 'true', ...env },
  });
  await app.ready();
  apps.push(app);
  return app;
}

const call = (app: TestApp, options: InjectOptions & { token?: string }) => {
  const { token, ...rest } = options;
  return app.inject({
    remoteAddress: nextIp(),
    ...rest,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...options.headers },
  });
};

const logIn = (app: TestApp, otp: string) =>
  call(app, {
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { email: user.email, password: user.password, otp },
  });

const replayRotation = (app: TestApp, token: string) =>
  call(app, {
    method: 'POST',
    url: `/api/v1/api-keys/${rotated.keyId}/rotate`,
    token,
    headers: { 'idempotency-key': rotated.idempotencyKey },
  });

const sealedWebhookSecret = async () => {
  const { rows } = await testDb.database.sql.query(
    'select secret_sealed from webhook_endpoints where user_id = $1',
    [user.userId],
  );
  return String(rows[0]!.secret_sealed);
};

beforeAll(async () => {
  testDb = await createPostgresTestDatabase(6);
  const before = await appWith({ APP_SECRET: OLD });
  user = await signInUser(before);
  await before.services.accounts.setUserTier(user.userId, 'custom');

  // Everything sealed with APP_SECRET: a TOTP seed, a webhook signing secret, a sealed replay.
  const setup = await call(before, { method: 'POST', url: '/api/v1/mfa/totp', token: user.accessToken });
  totpSecret = setup.json<{ secret: string }>().secret;
  const confirm = await call(before, {
    method: 'POST',
    url: '/api/v1/mfa/totp/verify',
    token: user.accessToken,
    payload: { otp: await generate({ secret: totpSecret, epoch: now() - 30 }) },
  });
  expect(confirm.statusCode, confirm.body).toBe(200);

  const endpoint = await call(before, {
    method: 'POST',
    url: '/api/v1/webhook-endpoints',
    token: user.accessToken,
    payload: { url: 'http://127.0.0.1:9/hook', events: ['*'] },
  });
  expect(endpoint.statusCode, endpoint.body).toBe(201);
  webhookSecret = endpoint.json<{ secret: string }>().secret;

  const created = await call(before, {
    method: 'POST',
    url: '/api/v1/api-keys',
    token: user.accessToken,
    payload: { name: 'ci', scopes: ['verifications:read'] },
  });
  expect(created.statusCode, created.body).toBe(201);
  const keyId = created.json<{ id: string }>().id;
  const idempotencyKey = randomUUID();
  rotated = { keyId, idempotencyKey, key: '' };
  const first = await replayRotation(before, user.accessToken);
  expect(first.statusCode, first.body).toBe(200);
  rotated.key = first.json<{ key: string }>().key;
}, 120_000);

afterAll(async () => {
  for (const app of apps) await app.close();
  await testDb?.dispose();
});

describe('APP_SECRET rotation', () => {
  it('on the new secret with the old as a fallback, everything the old one signed or sealed still works', async () => {
    const during = await appWith({ APP_SECRET: NEW, APP_SECRET_FALLBACKS: OLD });
    expect((await call(during, { url: '/api/v1/me', token: user.accessToken })).statusCode).toBe(200);

    const login = await logIn(during, await generate({ secret: totpSecret, epoch: now() }));
    expect(login.statusCode, login.body).toBe(200);

    const replay = await replayRotation(during, user.accessToken);
    expect(replay.statusCode, replay.body).toBe(200);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.json<{ key: string }>().key).toBe(rotated.key);

    const webhooks = createSealer(during.platform.config, SEALED_WEBHOOK_SECRETS.purpose);
    expect(webhooks.open(await sealedWebhookSecret())).toBe(webhookSecret);
  });

  it('secrets:reseal moves every sealed value to the new secret, once; a value no secret opens is reported', async () => {
    const secrets = { appSecret: NEW, appSecretFallbacks: [OLD] };
    const before = await sealedWebhookSecret();

    // A secret that sealed nothing here: every value is unreadable to it and is left untouched.
    const stranger = await resealAll(testDb.database.sql, {
      appSecret: 'a-third-secret-'.padEnd(40, 't'),
      appSecretFallbacks: [],
    });
    expect(stranger.resealed).toBe(0);
    expect(stranger.unreadable).toBeGreaterThanOrEqual(3);
    expect(await sealedWebhookSecret()).toBe(before);

    const first = await resealAll(testDb.database.sql, secrets);
    const byColumn = Object.fromEntries(first.columns.map((c) => [c.column, c.resealed]));
    expect(byColumn).toMatchObject({
      'users.mfa_secret': 1,
      'webhook_endpoints.secret_sealed': 1,
      'idempotency_keys.response_body': 1,
    });
    expect(first.unreadable).toBe(0);
    expect(await sealedWebhookSecret()).not.toBe(before);

    const again = await resealAll(testDb.database.sql, secrets);
    expect(again.resealed).toBe(0);
    expect(again.unreadable).toBe(0);
  });

  it('without the fallback after the re-seal: sealed data opens, sign-in with MFA works, old access tokens are refused', async () => {
    const after = await appWith({ APP_SECRET: NEW });
    expect((await call(after, { url: '/api/v1/me', token: user.accessToken })).statusCode).toBe(401);

    const login = await logIn(after, await generate({ secret: totpSecret, epoch: now() + 30 }));
    expect(login.statusCode, login.body).toBe(200);
    const token = login.json<{ accessToken: string }>().accessToken;
    expect((await call(after, { url: '/api/v1/me', token })).statusCode).toBe(200);

    const replay = await replayRotation(after, token);
    expect(replay.statusCode, replay.body).toBe(200);
    expect(replay.json<{ key: string }>().key).toBe(rotated.key);

    const webhooks = createSealer(after.platform.config, SEALED_WEBHOOK_SECRETS.purpose);
    expect(webhooks.open(await sealedWebhookSecret())).toBe(webhookSecret);
  });
});
