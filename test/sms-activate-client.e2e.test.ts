import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { solveCaptcha } from './support/captcha.js';
import { type EmbeddedApp, startEmbeddedApp } from './support/embedded.js';

/**
 * A published SMS-Activate client library from npm (`sms-activate`, unmodified apart from its base
 * URL) against the embedded default: a developer's existing tool switches by changing one URL.
 */
interface SmsActivateClient {
  session: { defaults: { baseURL: string } };
  getBalance(): Promise<number | null>;
  getNumber(service: string, country?: number): Promise<{ id: number; number: number } | null>;
  getCode(id: number): Promise<string | null>;
  getStatus(id: number): Promise<string>;
  setStatus(id: number, status: number): Promise<string>;
}
type SmsActivateClass = new (apiKey: string) => SmsActivateClient;
// The library is CommonJS without types; its surface is declared above from its source.
const SMSActivate = createRequire(import.meta.url)('sms-activate') as SmsActivateClass;
const { NoBalance, InvalidAPIKey } = createRequire(import.meta.url)('sms-activate/lib/exceptions') as Record<
  string,
  new () => Error
>;

let embedded: EmbeddedApp;

beforeAll(async () => {
  embedded = await startEmbeddedApp({ SANDBOX_SMS_DELAY_MS: '1500' });
}, 180_000);

afterAll(async () => {
  await embedded?.close();
});

async function api(method: string, url: string, token?: string, body?: unknown) {
  const response = await fetch(`${embedded.base}${url}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: body !== undefined ? JSON.stringify(body) : null,
    redirect: 'manual',
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
}

/** A developer as the web app makes one: signed up, confirmed, on payg, topped up, with a key. */
async function developerKey(cents: number): Promise<string> {
  const { runtime } = embedded;
  const email = `dev-${Date.now()}@example.test`;
  const password = 'correct horse battery staple 42';
  const captcha = await solveCaptcha(runtime.app);
  expect((await api('POST', '/api/v1/auth/register', undefined, { email, password, captcha })).status).toBe(
    202,
  );
  const mail = await runtime.sandboxes!.smtp.waitForMessage((m) => m.to.includes(email), 10_000);
  const token = decodeURIComponent(/token=([^\s"&<]+)/.exec(mail.text)![1]!);
  expect((await api('POST', '/api/v1/auth/email/confirm', undefined, { token })).status).toBe(200);
  const access = (await api('POST', '/api/v1/auth/login', undefined, { email, password })).body
    .accessToken as string;
  expect((await api('POST', '/api/v1/subscription', access, { tier: 'payg' })).status).toBeLessThan(300);
  if (cents > 0) {
    const topup = await api('POST', '/api/v1/wallet/topups', access, { amount: cents });
    const checkout = await fetch(topup.body.authorizationUrl as string);
    const action = /<form method="post" action="([^"]+\/pay)"/.exec(await checkout.text())![1]!;
    await fetch(new URL(action, checkout.url), { method: 'POST', redirect: 'manual' });
    await expect
      .poll(async () => (await api('GET', '/api/v1/wallet', access)).body.balance, { timeout: 15_000 })
      .toMatchObject({ amount: cents });
  }
  const key = await api('POST', '/api/v1/api-keys', access, {
    name: 'sms-activate tool',
    scopes: ['wallet:read', 'verifications:read', 'verifications:write'],
  });
  expect(key.status).toBe(201);
  return key.body.key as string;
}

function clientFor(key: string): SmsActivateClient {
  const client = new SMSActivate(key);
  client.session.defaults.baseURL = `${embedded.base}/stubs/handler_api.php`;
  return client;
}

describe('the sms-activate npm client against Namaskah', () => {
  it('buys a number, reads the code and finishes the activation', async () => {
    const client = clientFor(await developerKey(1_000));
    expect(await client.getBalance()).toBe(10);
    const bought = await client.getNumber('wa', 187);
    expect(bought).not.toBeNull();
    expect(String(bought!.number)).toMatch(/^1\d{10}$/);
    expect(await client.getStatus(bought!.id)).toBe('STATUS_WAIT_CODE');
    await client.setStatus(bought!.id, 1);
    let code: string | null = null;
    await expect
      .poll(async () => (code = await client.getCode(bought!.id)), { timeout: 30_000, interval: 500 })
      .not.toBeNull();
    expect(code).toMatch(/^\d{3}-?\d{3}$/);
    expect(await client.setStatus(bought!.id, 6)).toBe('ACCESS_ACTIVATION');
    // The first number was the free sign-up verification; the second is paid ($1.43 at payg) and
    // canceled before any SMS, so it is refunded. The library parses the balance as an integer.
    const second = await client.getNumber('tg', 187);
    expect(await client.getBalance()).toBe(8);
    expect(await client.setStatus(second!.id, 8)).toBe('ACCESS_CANCEL');
    expect(await client.getStatus(second!.id)).toBe('STATUS_CANCEL');
    expect(await client.getBalance()).toBe(10);
  }, 90_000);

  it('surfaces our refusals as the library’s own exceptions', async () => {
    const broke = clientFor(await developerKey(0));
    expect(await broke.getNumber('wa', 187)).not.toBeNull(); // the free sign-up verification
    await expect(broke.getNumber('wa', 187)).rejects.toBeInstanceOf(NoBalance);
    await expect(clientFor('nmk_live_not_a_key').getBalance()).rejects.toBeInstanceOf(InvalidAPIKey);
  }, 60_000);
});
