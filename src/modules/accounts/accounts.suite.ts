// Shared setup of the accounts integration tests (accounts.*.integration.test.ts): each file gets
// its own database, Redis connection, SMTP catcher and app.
import { randomUUID } from 'node:crypto';
import type { InjectOptions } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect } from 'vitest';
import { createMailer } from '../../platform/mail/mailer.js';
import { type SmtpCatcher, startSmtpCatcher } from '../../sandbox/smtp/catcher.js';
import { type TestApp, createTestApp } from '../../../test/support/app.js';
import { solveCaptcha } from '../../../test/support/captcha.js';
import { type TestDatabase, createPostgresTestDatabase } from '../../../test/support/database.js';
import { TEST_REDIS_URL } from '../../../test/support/services.js';

export let testDb: TestDatabase;
export let redis: Redis;
export let app: TestApp;
export let catcher: SmtpCatcher;
let ipCounter = 1;
/** Each scenario calls from its own address so per-IP limits of one do not touch the others. */
export const nextIp = () => `10.9.${Math.floor(ipCounter / 250)}.${(ipCounter++ % 250) + 1}`;
export const PASSWORD = 'correct horse battery staple 42';

export const inject = (options: InjectOptions & { ip?: string }) =>
  app.inject({ remoteAddress: options.ip ?? '127.0.0.1', ...options });

export async function register(email: string, ip = nextIp(), password = PASSWORD) {
  const captcha = await solveCaptcha(app, ip);
  return inject({ method: 'POST', url: '/api/v1/auth/register', ip, payload: { email, password, captcha } });
}

export async function login(
  email: string,
  extra: Record<string, unknown> = {},
  ip = nextIp(),
  password = PASSWORD,
) {
  return inject({ method: 'POST', url: '/api/v1/auth/login', ip, payload: { email, password, ...extra } });
}

export async function signedUp(): Promise<{
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

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** The file's database, Redis connection, SMTP catcher and app: call once at the top of each test file. */
export function useAccountsSuite(): void {
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
}
