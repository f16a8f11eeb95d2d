import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { generate } from 'otplib';
import type { TestApp } from './app.js';
import { type RealUser, nextIp } from './attacker.js';

/** A signed-in user of the real API (bearer access token), made without the e-mail round trip. */
export interface SignedIn extends Pick<RealUser, 'email' | 'userId' | 'accessToken'> {
  password: string;
}

async function logIn(app: FastifyInstance, email: string, password: string): Promise<SignedIn> {
  const login = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    remoteAddress: nextIp(),
    payload: { email, password },
  });
  if (login.statusCode !== 200) throw new Error(`login: ${login.statusCode} ${login.body}`);
  const body = login.json<{ accessToken: string; user: { id: string } }>();
  return { email, password, userId: body.user.id, accessToken: body.accessToken };
}

/** An ordinary user (not confirmed: enough to sign in and call read routes). */
export async function signInUser(app: TestApp): Promise<SignedIn> {
  const email = `user-${randomUUID().slice(0, 8)}@example.test`;
  const password = 'an ordinary passphrase 31';
  await app.services.accounts.createUser({ email, password });
  return logIn(app, email, password);
}

/**
 * An administrator as `admin:create` makes one, signed in; with `mfa` (the default) TOTP is then
 * turned on through the API, as an administrator must before any admin route answers.
 */
export async function signInAdmin(app: TestApp, options: { mfa?: boolean } = {}): Promise<SignedIn> {
  const made = await app.services.accounts.provisionAdmin(`admin-${randomUUID().slice(0, 8)}@example.test`);
  if (made.outcome !== 'created') throw new Error(`admin:create said ${made.outcome}`);
  const admin = await logIn(app, made.user.email, made.password);
  if (options.mfa ?? true) {
    const authorization = `Bearer ${admin.accessToken}`;
    const setup = await app.inject({
      method: 'POST',
      url: '/api/v1/mfa/totp',
      remoteAddress: nextIp(),
      headers: { authorization },
    });
    const { secret } = setup.json<{ secret: string }>();
    const verify = await app.inject({
      method: 'POST',
      url: '/api/v1/mfa/totp/verify',
      remoteAddress: nextIp(),
      headers: { authorization },
      payload: { otp: await generate({ secret }) },
    });
    if (verify.statusCode !== 200) throw new Error(`MFA: ${verify.statusCode} ${verify.body}`);
  }
  return admin;
}

/** Every route of the app whose path starts with `prefix`, read from the app's own route tree. */
export function routesUnder(app: FastifyInstance, prefix: string): { method: string; url: string }[] {
  const stack: string[] = [];
  const routes: { method: string; url: string }[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    // `│   └── /segment (GET, HEAD)`: four columns per level, then the segment and its methods.
    const branch = line.search(/[├└]── /);
    if (branch < 0) continue;
    const depth = branch / 4;
    const rest = line.slice(branch + 4).trimEnd();
    const open = rest.indexOf(' (');
    const url = (depth > 0 ? stack[depth - 1]! : '') + (open < 0 ? rest : rest.slice(0, open));
    stack[depth] = url;
    stack.length = depth + 1;
    const methods = open < 0 ? [] : rest.slice(open + 2, -1).split(', ');
    for (const method of methods) {
      if (method !== 'HEAD' && url.startsWith(prefix)) routes.push({ method, url });
    }
  }
  return routes;
}
