import { randomUUID } from 'node:crypto';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import type { SmtpCatcher } from '../../src/sandbox/smtp/catcher.js';
import { solveCaptcha } from './captcha.js';

/** A real user of the HTTP API: registered, confirmed and signed in through the public routes. */
export interface RealUser {
  email: string;
  userId: string;
  accessToken: string;
  refreshToken: string;
  cookies: Record<string, string>;
  /** Every request of this user comes from its own address, so per-IP limits never mix users. */
  ip: string;
}

export const PASSWORD = 'correct horse battery staple 42';

let ipCounter = 1;
/** A fresh documentation-range-like address for each caller. */
export const nextIp = () => `10.77.${Math.floor(ipCounter / 250)}.${(ipCounter++ % 250) + 1}`;

function expectStatus(response: LightMyRequestResponse, status: number, what: string) {
  if (response.statusCode !== status)
    throw new Error(`${what}: expected ${status}, got ${response.statusCode} ${response.body}`);
}

/** Register (captcha), optionally confirm the e-mail from the SMTP catcher, and log in. */
export async function signUp(
  app: FastifyInstance,
  catcher: SmtpCatcher,
  options: { confirm?: boolean } = {},
): Promise<RealUser> {
  const ip = nextIp();
  const email = `atk-${randomUUID().slice(0, 8)}@example.test`;
  const captcha = await solveCaptcha(app, ip);
  const registered = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/register',
    remoteAddress: ip,
    payload: { email, password: PASSWORD, captcha },
  });
  expectStatus(registered, 202, 'register');
  if (options.confirm ?? true) {
    const mail = await catcher.waitForMessage((m) => m.to.includes(email) && /confirm-email/.test(m.text));
    const token = decodeURIComponent(/confirm-email\?token=([A-Za-z0-9_%-]+)/.exec(mail.text)![1]!);
    const confirmed = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/email/confirm',
      remoteAddress: ip,
      payload: { token },
    });
    expectStatus(confirmed, 200, 'confirm');
  }
  const login = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    remoteAddress: ip,
    payload: { email, password: PASSWORD },
  });
  expectStatus(login, 200, 'login');
  const body = login.json<{ accessToken: string; refreshToken: string; user: { id: string } }>();
  return {
    email,
    userId: body.user.id,
    accessToken: body.accessToken,
    refreshToken: body.refreshToken,
    cookies: Object.fromEntries(login.cookies.map((c) => [c.name, c.value])),
    ip,
  };
}

/** A request as `user` (Bearer access token unless headers say otherwise), from the user's address. */
export function as(app: FastifyInstance, user: RealUser | null, options: InjectOptions) {
  const headers = {
    ...(user ? { authorization: `Bearer ${user.accessToken}` } : {}),
    ...(options.headers ?? {}),
  };
  return app.inject({ remoteAddress: nextIp(), ...options, headers });
}
