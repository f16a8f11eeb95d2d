import { createHmac, timingSafeEqual } from 'node:crypto';
import { expect } from 'vitest';
import type { EmbeddedApp } from './embedded.js';
import { solveCaptcha } from './captcha.js';
import type { WebhookReceiver } from './webhooks.js';

export const JOURNEY_PASSWORD = 'correct horse battery staple 42';

export interface ApiAnswer {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a journey reads whatever JSON each route answers
  body: Record<string, any>;
}

/**
 * A person (or program) using the embedded app over real HTTP: the public routes only, the
 * SMTP catcher standing for their mailbox and the Paystack sandbox's checkout page for their card.
 * Each person comes from their own address `ip` (through the trusted loopback proxy, see
 * `startEmbeddedApp`'s TRUST_PROXY), so per-address limits such as 3 sign-ups an hour apply to
 * each journey apart, as they would to people on different networks.
 */
export function journeyClient(embedded: EmbeddedApp, ip: string) {
  const { base, runtime } = embedded;

  async function api(
    method: string,
    url: string,
    token?: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<ApiAnswer> {
    const response = await fetch(`${base}${url}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        'x-forwarded-for': ip,
        ...headers,
      },
      body: body !== undefined ? JSON.stringify(body) : null,
      redirect: 'manual',
    });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      body: text ? (JSON.parse(text) as ApiAnswer['body']) : {},
    };
  }

  async function logIn(email: string): Promise<string> {
    const login = await api('POST', '/api/v1/auth/login', undefined, { email, password: JOURNEY_PASSWORD });
    expect(login.status, JSON.stringify(login.body)).toBe(200);
    return login.body.accessToken as string;
  }

  async function signUpAndLogIn(email: string): Promise<string> {
    const registered = await api('POST', '/api/v1/auth/register', undefined, {
      email,
      password: JOURNEY_PASSWORD,
      captcha: await solveCaptcha(runtime.app, ip),
    });
    expect(registered.status).toBe(202);
    const mail = await runtime.sandboxes!.smtp.waitForMessage((m) => m.to.includes(email), 10_000);
    const token = /token=([^\s"&<]+)/.exec(mail.text)?.[1];
    expect(token).toBeDefined();
    const confirmed = await api('POST', '/api/v1/auth/email/confirm', undefined, {
      token: decodeURIComponent(token!),
    });
    expect(confirmed.status).toBe(200);
    return logIn(email);
  }

  /** Pays `cents` on the Paystack sandbox's checkout page and comes back through the callback. */
  async function topUp(token: string, cents: number): Promise<string> {
    const initialized = await api('POST', '/api/v1/wallet/topups', token, { amount: cents });
    expect(initialized.status).toBe(201);
    const checkout = await fetch(initialized.body.authorizationUrl as string);
    const page = await checkout.text();
    const action = /<form method="post" action="([^"]+\/pay)"/.exec(page)?.[1];
    expect(action).toBeDefined();
    const paid = await fetch(new URL(action!, checkout.url), { method: 'POST', redirect: 'manual' });
    expect(paid.status).toBe(302);
    // Back on our site: the callback verifies and sends the browser to the wallet page.
    const callback = await fetch(paid.headers.get('location')!, { redirect: 'manual' });
    expect(callback.status).toBe(302);
    expect(callback.headers.get('location')).toMatch(/^\/wallet\?topup=.*status=succeeded/);
    return initialized.body.reference as string;
  }

  /** Cents available to spend now. */
  const balance = async (token: string) =>
    (await api('GET', '/api/v1/wallet', token)).body.balance.amount as number;

  return { api, logIn, signUpAndLogIn, topUp, balance };
}
export type JourneyClient = ReturnType<typeof journeyClient>;

/**
 * What an integrator writes from SPEC §7 alone: `Namaskah-Signature: t=<unix>,v1=<hex>` where
 * v1 = HMAC-SHA256(secret, t + "." + body); any `v1` may match (several during a rotation).
 */
export function signatureValid(secret: string, header: string | undefined, body: string): boolean {
  const parts = (header ?? '').split(',').map((part) => part.split('=', 2) as [string, string?]);
  const t = parts.find(([name]) => name === 't')?.[1];
  if (!t) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  return parts
    .filter(([name, value]) => name === 'v1' && value !== undefined)
    .some(([, value]) => {
      const given = Buffer.from(value!, 'hex');
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
}

/** The events that reached `path` of the receiver, parsed, each with whether its signature verifies with `secret`. */
export const eventsReceived = (receiver: WebhookReceiver, path: string, secret: string) =>
  receiver.received
    .filter((hit) => hit.path === path)
    .map((hit) => ({
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the event body as a receiver parses it
      event: JSON.parse(hit.body) as { id: string; type: string; data: Record<string, any> },
      eventIdHeader: hit.headers['namaskah-event-id'],
      signed: signatureValid(secret, hit.headers['namaskah-signature'] as string | undefined, hit.body),
    }));
