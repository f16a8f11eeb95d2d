import { randomUUID } from 'node:crypto';
import type { InjectOptions } from 'fastify';
import { Redis } from 'ioredis';
import { SignJWT } from 'jose';
import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../platform/logger.js';
import { createMailer } from '../../platform/mail/mailer.js';
import { type SmtpCatcher, startSmtpCatcher } from '../../sandbox/smtp/catcher.js';
import { type TestApp, createTestApp, testConfig } from '../../../test/support/app.js';
import { solveCaptcha } from '../../../test/support/captcha.js';
import { type TestDatabase, createPostgresTestDatabase } from '../../../test/support/database.js';
import { TEST_REDIS_URL } from '../../../test/support/services.js';
import { createAccessTokens } from './access-tokens.js';
import { deriveKey } from './secrets.js';
import { CAPTCHA_AFTER_CLIENT_FAILURES } from './domain.js';
import { createAuditService } from '../audit/index.js';
import { createLedgerService } from '../ledger/index.js';
import { type AccountsService, createAccountsService } from './service.js';

let testDb: TestDatabase;
let redis: Redis;
let app: TestApp;
let catcher: SmtpCatcher;
let ipCounter = 1;
/** Each scenario calls from its own address so per-IP limits of one do not touch the others. */
const nextIp = () => `10.9.${Math.floor(ipCounter / 250)}.${(ipCounter++ % 250) + 1}`;
const PASSWORD = 'correct horse battery staple 42';

beforeAll(async () => {
  testDb = await createPostgresTestDatabase();
  redis = new Redis(TEST_REDIS_URL);
  catcher = await startSmtpCatcher();
  const mailer = createMailer({ smtpUrl: catcher.smtpUrl, from: 'Namaskah <no-reply@namaskah.test>' });
  app = await createTestApp({ database: testDb.database, redis, providers: { mailer } });
  await app.ready();
}, 60_000);

afterAll(async () => {
  await app?.close();
  await catcher?.close();
  redis?.disconnect();
  await testDb?.dispose();
});

const inject = (options: InjectOptions & { ip?: string }) =>
  app.inject({ remoteAddress: options.ip ?? '127.0.0.1', ...options });

async function register(email: string, ip = nextIp(), password = PASSWORD) {
  const captcha = await solveCaptcha(app, ip);
  return inject({ method: 'POST', url: '/api/v1/auth/register', ip, payload: { email, password, captcha } });
}

async function login(email: string, extra: Record<string, unknown> = {}, ip = nextIp(), password = PASSWORD) {
  return inject({ method: 'POST', url: '/api/v1/auth/login', ip, payload: { email, password, ...extra } });
}

async function signedUp(): Promise<{
  email: string;
  userId: string;
  accessToken: string;
  refreshToken: string;
  cookies: Record<string, string>;
}> {
  const email = `u-${randomUUID().slice(0, 8)}@example.test`;
  expect((await register(email)).statusCode).toBe(202);
  const response = await login(email);
  expect(response.statusCode).toBe(200);
  const body = response.json<{ accessToken: string; refreshToken: string; user: { id: string } }>();
  const cookies = Object.fromEntries(response.cookies.map((c) => [c.name, c.value]));
  return {
    email,
    userId: body.user.id,
    accessToken: body.accessToken,
    refreshToken: body.refreshToken,
    cookies,
  };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('registration', () => {
  it('refuses a missing or bad captcha', async () => {
    const ip = nextIp();
    const email = `c-${randomUUID().slice(0, 8)}@example.test`;
    const missing = await inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      ip,
      payload: { email, password: PASSWORD },
    });
    expect(missing.statusCode).toBe(403);
    expect(missing.json().error.code).toBe('captcha_required');
    const bad = await inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      ip,
      payload: { email, password: PASSWORD, captcha: 'bm90LWEtc29sdXRpb24=' },
    });
    expect(bad.statusCode).toBe(403);
    // A tampered solution (derived key changed) is refused too.
    const solved = JSON.parse(Buffer.from(await solveCaptcha(app, ip), 'base64').toString()) as {
      solution: { derivedKey: string };
    };
    solved.solution.derivedKey = '00'.repeat(32);
    const tampered = await inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      ip: nextIp(),
      payload: { email, password: PASSWORD, captcha: Buffer.from(JSON.stringify(solved)).toString('base64') },
    });
    expect(tampered.statusCode).toBe(403);
  });

  it('refuses a replayed captcha solution', async () => {
    const captcha = await solveCaptcha(app);
    const first = await inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      ip: nextIp(),
      payload: { email: `r1-${randomUUID().slice(0, 6)}@example.test`, password: PASSWORD, captcha },
    });
    expect(first.statusCode).toBe(202);
    const again = await inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      ip: nextIp(),
      payload: { email: `r2-${randomUUID().slice(0, 6)}@example.test`, password: PASSWORD, captcha },
    });
    expect(again.statusCode).toBe(403);
  });

  it('refuses short, long and common passwords with a clear message', async () => {
    for (const [password, fragment] of [
      ['short', 'at least 8 characters'],
      ['x'.repeat(129), 'at most 128 characters'],
      ['password123', 'too common'],
      ['Iloveyou1', 'too common'],
    ] as const) {
      const response = await register(`p-${randomUUID().slice(0, 8)}@example.test`, nextIp(), password);
      expect(response.statusCode).toBe(400);
      expect(response.json().error.code).toBe('validation_failed');
      expect(response.json().error.message).toContain(fragment);
    }
  });

  it('grants one free verification credit and sends a confirmation link that works once', async () => {
    const email = `m-${randomUUID().slice(0, 8)}@example.test`;
    expect((await register(email)).statusCode).toBe(202);
    const mail = await catcher.waitForMessage((m) => m.to.includes(email));
    const token = /confirm-email\?token=([A-Za-z0-9_%-]+)/.exec(mail.text)?.[1];
    expect(token).toBeTruthy();
    const confirm = () =>
      inject({
        method: 'POST',
        url: '/api/v1/auth/email/confirm',
        payload: { token: decodeURIComponent(token!) },
      });
    const first = await confirm();
    expect(first.statusCode).toBe(200);
    expect(first.json().user.emailConfirmed).toBe(true);
    expect((await confirm()).statusCode).toBe(400);
    const rows = await testDb.database.sql.query(
      `select w.balance from wallets w join users u on u.id = w.owner_id where lower(u.email) = $1 and w.currency = 'CREDIT'`,
      [email],
    );
    expect(Number(rows.rows[0]?.balance)).toBe(1);
  });
});

describe('confirmation e-mail again', () => {
  const resend = (email: string, ip = nextIp()) =>
    inject({ method: 'POST', url: '/api/v1/auth/email/resend', ip, payload: { email } });

  it('sends a fresh link to an unconfirmed account and answers the same for any address', async () => {
    const waiting = `wait-${randomUUID().slice(0, 8)}@example.test`;
    expect((await register(waiting)).statusCode).toBe(202);
    const first = await catcher.waitForMessage((m) => m.to.includes(waiting));
    const tokenOf = (text: string) =>
      decodeURIComponent(/confirm-email\?token=([A-Za-z0-9_%-]+)/.exec(text)![1]!);
    const confirm = (token: string) =>
      inject({ method: 'POST', url: '/api/v1/auth/email/confirm', payload: { token } });
    const confirmed = await signedUp();
    const link = await catcher.waitForMessage((m) => m.to.includes(confirmed.email));
    expect((await confirm(tokenOf(link.text))).statusCode).toBe(200);
    const unknown = `nobody-${randomUUID().slice(0, 8)}@example.test`;

    const answers = [await resend(waiting), await resend(confirmed.email), await resend(unknown)];
    for (const answer of answers) expect(answer.statusCode).toBe(202);
    expect(new Set(answers.map((a) => a.body)).size).toBe(1);

    const again = await catcher.waitForMessage((m) => m.to.includes(waiting) && m.id !== first.id);
    // The new link replaces the old one.
    expect((await confirm(tokenOf(first.text))).statusCode).toBe(400);
    expect((await confirm(tokenOf(again.text))).statusCode).toBe(200);
    // The other two got nothing.
    expect(catcher.messagesTo(unknown)).toEqual([]);
    expect(catcher.messagesTo(confirmed.email).filter((m) => m.subject.includes('Confirm'))).toHaveLength(1);
  });

  it('is rate limited per address and per client address', async () => {
    const email = `rl-resend-${randomUUID().slice(0, 8)}@example.test`;
    const perAddress: number[] = [];
    for (let i = 0; i < 4; i++) perAddress.push((await resend(email)).statusCode);
    expect(perAddress).toEqual([202, 202, 202, 429]);
    const ip = nextIp();
    const perClient: number[] = [];
    for (let i = 0; i < 6; i++)
      perClient.push((await resend(`c${i}-${randomUUID().slice(0, 6)}@example.test`, ip)).statusCode);
    expect(perClient).toEqual([202, 202, 202, 202, 202, 429]);
  });
});

describe('login', () => {
  it('answers a wrong password and an unknown e-mail alike (401 invalid_credentials, same message)', async () => {
    const { email } = await signedUp();
    const wrong = await login(email, {}, nextIp(), 'not the password at all');
    const unknown = await login(
      `nobody-${randomUUID().slice(0, 8)}@example.test`,
      {},
      nextIp(),
      'not the password at all',
    );
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    // The code of every wrong password (the password change says it too), not the missing-credential one.
    expect(wrong.json().error.code).toBe('invalid_credentials');
    expect(wrong.json()).toEqual(unknown.json());
  });

  it('asks for a captcha after repeated failures, then accepts the right password with one', async () => {
    const email = `lock-${randomUUID().slice(0, 8)}@example.test`;
    expect((await register(email)).statusCode).toBe(202);
    for (let i = 0; i < 3; i++)
      expect((await login(email, {}, nextIp(), 'wrong password here')).statusCode).toBe(401);
    const blocked = await login(email);
    expect(blocked.statusCode).toBe(403);
    expect(blocked.json().error.code).toBe('captcha_required');
    const ip = nextIp();
    const ok = await login(email, { captcha: await solveCaptcha(app, ip) }, ip);
    expect(ok.statusCode).toBe(200);
    // The same happens for an address without an account: nothing reveals which exist.
    const ghost = `ghost-${randomUUID().slice(0, 8)}@example.test`;
    for (let i = 0; i < 3; i++) await login(ghost, {}, nextIp(), 'wrong password here');
    expect((await login(ghost)).json().error.code).toBe('captcha_required');
    const audit = await testDb.database.sql.query(`select action from audit_log where subject_id = $1`, [
      email,
    ]);
    expect(audit.rows.map((r) => r.action)).toEqual(
      expect.arrayContaining(['login.failed', 'login.lockout', 'login.captcha_required']),
    );
  });

  it('never refuses the owner for failures on the account: the right password with a solved captcha gets in', async () => {
    const { email, userId } = await signedUp();
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++)
      statuses.push((await login(email, {}, nextIp(), 'wrong password here')).statusCode);
    expect(statuses).toEqual([401, 401, 401, 403, 403, 403, 403, 403]);
    const ip = nextIp();
    const ok = await login(email, { captcha: await solveCaptcha(app, ip) }, ip);
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json().user.id).toBe(userId);
  });
});

describe('flagged clients', () => {
  /** The service itself, for failure bursts beyond the 5/min per-IP login rate limit of the route. */
  let accounts: AccountsService;
  beforeAll(() => {
    const config = testConfig();
    const db = testDb.database.db;
    accounts = createAccountsService({
      db,
      config,
      logger: createLogger('silent'),
      mailer: undefined,
      jobs: undefined,
      ledger: createLedgerService(),
      audit: createAuditService({ db }),
    });
  });
  const failFrom = (ip: string) =>
    expect(
      accounts.login(
        { email: `spray-${randomUUID().slice(0, 8)}@example.test`, password: 'wrong password here' },
        { ip, userAgent: null },
      ),
    ).rejects.toMatchObject({ status: 401 });

  it('asks every sign-in from a client with many failures (across accounts) for a captcha; a captcha gets through', async () => {
    const victim = await signedUp();
    const client = nextIp();
    // One failure each on four addresses: no account reaches its own threshold, the client is not flagged.
    for (let i = 0; i < CAPTCHA_AFTER_CLIENT_FAILURES - 1; i++) await failFrom(client);
    expect((await login(victim.email, {}, client)).statusCode).toBe(200);
    // The fifth failure flags the client (signing in above did not clear its count).
    await failFrom(client);
    const refused = await login(victim.email, {}, client);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.code).toBe('captcha_required');
    expect(refused.json().error.message).toContain('network');
    // Any account, registered or not, from that client.
    const ghost = await login(`ghost-${randomUUID().slice(0, 8)}@example.test`, {}, client);
    expect(ghost.json().error.code).toBe('captcha_required');
    // The account itself is not locked: another client signs in without a captcha …
    expect((await login(victim.email, {}, nextIp())).statusCode).toBe(200);
    // … and the flagged client gets through with a solved captcha.
    const ok = await login(victim.email, { captcha: await solveCaptcha(app, client) }, client);
    expect(ok.statusCode).toBe(200);

    const audit = await testDb.database.sql.query(
      `select action, subject_type from audit_log where subject_id = $1 order by at`,
      [client],
    );
    expect(audit.rows).toEqual(
      expect.arrayContaining([
        { action: 'login.client_flagged', subject_type: 'ip' },
        { action: 'login.captcha_required', subject_type: 'ip' },
      ]),
    );
  });

  it('counts failed sign-ins over HTTP per client across accounts', async () => {
    const client = nextIp();
    // Five requests: the most one address may send in a minute; each names another account.
    for (let i = 0; i < CAPTCHA_AFTER_CLIENT_FAILURES; i++) {
      const response = await login(
        `many-${i}-${randomUUID().slice(0, 6)}@example.test`,
        {},
        client,
        'wrong password here',
      );
      expect(response.statusCode).toBe(401);
    }
    const counted = await testDb.database.sql.query(
      `select subject, failures from login_failures where subject = $1`,
      [`ip:${client}`],
    );
    expect(counted.rows).toEqual([{ subject: `ip:${client}`, failures: CAPTCHA_AFTER_CLIENT_FAILURES }]);
    // The sixth request of the minute is rate-limited; after it, the client needs a captcha.
    expect((await login('late@example.test', {}, client, 'wrong password here')).statusCode).toBe(429);
    const { email } = await signedUp();
    await expect(
      accounts.login({ email, password: PASSWORD }, { ip: client, userAgent: null }),
    ).rejects.toMatchObject({ status: 403, code: 'captcha_required' });
  });

  it('counts IPv6 clients per /64', async () => {
    const { email } = await signedUp();
    for (let i = 1; i <= CAPTCHA_AFTER_CLIENT_FAILURES; i++)
      await failFrom(`2001:db8:77:1::${i.toString(16)}`);
    await expect(
      accounts.login({ email, password: PASSWORD }, { ip: '2001:db8:77:1:abcd::9', userAgent: null }),
    ).rejects.toMatchObject({ status: 403, code: 'captcha_required' });
    const neighbour = await accounts.login(
      { email, password: PASSWORD },
      { ip: '2001:db8:77:2::1', userAgent: null },
    );
    expect(neighbour.user.email).toBe(email);
  });
});

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
    const expired = await createAccessTokens(testConfig().appSecret).sign(userId, String(claims.sid), {
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

describe('password change', () => {
  const change = (token: string, payload: object, ip = nextIp()) =>
    inject({ method: 'POST', url: '/api/v1/auth/password/change', ip, headers: bearer(token), payload });
  const NEW_PASSWORD = 'a fresh and long passphrase 7';

  it('needs the current password and an acceptable new one', async () => {
    const user = await signedUp();
    const wrong = await change(user.accessToken, {
      currentPassword: 'not the password at all',
      newPassword: NEW_PASSWORD,
    });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().error.code).toBe('invalid_credentials');
    for (const [newPassword, fragment] of [
      ['short', 'at least 8 characters'],
      ['password123', 'too common'],
      [PASSWORD, 'must differ'],
    ] as const) {
      const weak = await change(user.accessToken, { currentPassword: PASSWORD, newPassword });
      expect(weak.statusCode).toBe(400);
      expect(weak.json().error.code).toBe('validation_failed');
      expect(weak.json().error.message).toContain(fragment);
    }
    // Nothing changed: the old password still signs in, the session still works.
    expect((await login(user.email)).statusCode).toBe(200);
    expect(
      (await inject({ method: 'GET', url: '/api/v1/me', headers: bearer(user.accessToken) })).statusCode,
    ).toBe(200);
  });

  it('changes the password, signs every other session out, keeps this one and sends a notice', async () => {
    const user = await signedUp();
    const other = (await login(user.email)).json<{ accessToken: string; refreshToken: string }>();
    catcher.clear();
    const changed = await change(user.accessToken, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD });
    expect(changed.statusCode, changed.body).toBe(200);
    expect(changed.json().sessionsRevoked).toBe(1);

    expect(
      (await inject({ method: 'GET', url: '/api/v1/me', headers: bearer(other.accessToken) })).statusCode,
    ).toBe(401);
    expect(
      (
        await inject({
          method: 'POST',
          url: '/api/v1/auth/refresh',
          payload: { refreshToken: other.refreshToken },
        })
      ).statusCode,
    ).toBe(401);
    expect(
      (await inject({ method: 'GET', url: '/api/v1/me', headers: bearer(user.accessToken) })).statusCode,
    ).toBe(200);
    expect(
      (
        await inject({
          method: 'POST',
          url: '/api/v1/auth/refresh',
          payload: { refreshToken: user.refreshToken },
        })
      ).statusCode,
    ).toBe(200);

    expect((await login(user.email)).statusCode).toBe(401);
    expect((await login(user.email, {}, nextIp(), NEW_PASSWORD)).statusCode).toBe(200);

    const mail = await catcher.waitForMessage(
      (m) => m.to.includes(user.email) && m.subject.includes('Security notice'),
    );
    expect(mail.text).toContain('Your password was changed.');
    const audit = await testDb.database.sql.query(
      `select action from audit_log where actor_id = $1 and action = 'password.changed'`,
      [user.userId],
    );
    expect(audit.rows).toHaveLength(1);
  });

  it('is for signed-in people only, not API keys', async () => {
    const user = await signedUp();
    await app.services.accounts.setUserTier(user.userId, 'payg');
    const key = (
      await inject({
        method: 'POST',
        url: '/api/v1/api-keys',
        headers: bearer(user.accessToken),
        payload: { name: 'k', scopes: ['account:read'] },
      })
    ).json<{ key: string }>().key;
    const byKey = await change(key, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD });
    expect(byKey.statusCode).toBe(403);
    const anonymous = await inject({
      method: 'POST',
      url: '/api/v1/auth/password/change',
      payload: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD },
    });
    expect(anonymous.statusCode).toBe(401);
  });
});

describe('password change with two-factor authentication on', () => {
  it('also needs a fresh authenticator code', async () => {
    const user = await signedUp();
    const { secret } = (
      await inject({ method: 'POST', url: '/api/v1/mfa/totp', headers: bearer(user.accessToken) })
    ).json<{ secret: string }>();
    const enabled = await inject({
      method: 'POST',
      url: '/api/v1/mfa/totp/verify',
      headers: bearer(user.accessToken),
      payload: { otp: await generate({ secret }) },
    });
    expect(enabled.statusCode).toBe(200);
    const change = (payload: object) =>
      inject({
        method: 'POST',
        url: '/api/v1/auth/password/change',
        ip: nextIp(),
        headers: bearer(user.accessToken),
        payload: { currentPassword: PASSWORD, newPassword: 'another long passphrase 99', ...payload },
      });
    expect((await change({})).json().error.code).toBe('mfa_required');
    expect((await change({ otp: '000000' })).json().error.code).toBe('mfa_invalid');
    const next = await generate({ secret, epoch: Math.floor(Date.now() / 1000) + 30 });
    expect((await change({ otp: next })).statusCode).toBe(200);
  });
});

describe('MFA and password reset', () => {
  it('sets up TOTP, then requires a code at login', async () => {
    const user = await signedUp();
    const setup = await inject({
      method: 'POST',
      url: '/api/v1/mfa/totp',
      headers: bearer(user.accessToken),
    });
    const { secret } = setup.json<{ secret: string }>();
    const verify = await inject({
      method: 'POST',
      url: '/api/v1/mfa/totp/verify',
      headers: bearer(user.accessToken),
      payload: { otp: await generate({ secret }) },
    });
    expect(verify.statusCode).toBe(200);
    const noCode = await login(user.email);
    expect(noCode.statusCode).toBe(401);
    expect(noCode.json().error.code).toBe('mfa_required');
    expect((await login(user.email, { otp: '000000' })).json().error.code).toBe('mfa_invalid');
    // A code is accepted once; the code of the next step logs in.
    const next = await generate({ secret, epoch: Math.floor(Date.now() / 1000) + 30 });
    const ok = await login(user.email, { otp: next });
    expect(ok.statusCode).toBe(200);
    expect((await login(user.email, { otp: next })).statusCode).toBe(401);
  });

  it('admins need MFA for admin routes', async () => {
    const { requireAdmin } = await import('../../platform/http/guards.js');
    const user = await signedUp();
    await app.services.accounts.setUserRole(user.userId, 'admin');
    const probe = await createTestApp({ database: testDb.database, redis });
    probe.get('/t/admin', { preHandler: requireAdmin }, async () => ({ ok: true }));
    await probe.ready();
    try {
      expect(
        (await probe.inject({ method: 'GET', url: '/t/admin', headers: bearer(user.accessToken) }))
          .statusCode,
      ).toBe(403);
    } finally {
      await probe.close();
    }
  });

  it('reset links from the SMTP catcher work once and sign every session out', async () => {
    const user = await signedUp();
    catcher.clear();
    const ip = nextIp();
    const forgot = await inject({
      method: 'POST',
      url: '/api/v1/auth/password/forgot',
      ip,
      payload: { email: user.email, captcha: await solveCaptcha(app, ip) },
    });
    expect(forgot.statusCode).toBe(202);
    const mail = await catcher.waitForMessage(
      (m) => m.to.includes(user.email) && m.subject.includes('Reset'),
    );
    const token = decodeURIComponent(/reset-password\?token=([A-Za-z0-9_%-]+)/.exec(mail.text)![1]!);
    const reset = async () => {
      const at = nextIp();
      return inject({
        method: 'POST',
        url: '/api/v1/auth/password/reset',
        ip: at,
        payload: { token, password: 'a brand new passphrase 9', captcha: await solveCaptcha(app, at) },
      });
    };
    expect((await reset()).statusCode).toBe(200);
    expect((await reset()).statusCode).toBe(400);
    expect(
      (await inject({ method: 'GET', url: '/api/v1/me', headers: bearer(user.accessToken) })).statusCode,
    ).toBe(401);
    expect((await login(user.email, {}, nextIp(), 'a brand new passphrase 9')).statusCode).toBe(200);
  });
});
