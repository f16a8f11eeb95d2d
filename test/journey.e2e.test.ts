import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkLedgerInvariants } from '../src/modules/ledger/index.js';
import type { Runtime } from '../src/runtime.js';
import { solveCaptcha } from './support/captcha.js';
import { type EmbeddedApp, startEmbeddedApp } from './support/embedded.js';

/**
 * SPEC §1 journeys 1 and 2 through the public HTTP API of the embedded default: PGlite, and the
 * TextVerified, Paystack and SMTP sandboxes in-process, reached by the real clients over HTTP.
 */
let embedded: EmbeddedApp;
let runtime: Runtime;
let base: string;

beforeAll(async () => {
  embedded = await startEmbeddedApp({ SANDBOX_SMS_DELAY_MS: '2000' });
  ({ runtime, base } = embedded);
}, 60_000);

afterAll(async () => {
  await embedded?.close();
});

async function api(method: string, url: string, token?: string, body?: unknown) {
  const response = await fetch(`${base}${url}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: body !== undefined ? JSON.stringify(body) : null,
    redirect: 'manual',
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the journey reads whatever JSON each route answers
    body: text ? (JSON.parse(text) as Record<string, any>) : {},
  };
}

async function signUpAndLogIn(email: string): Promise<string> {
  const password = 'correct horse battery staple 42';
  const registered = await api('POST', '/api/v1/auth/register', undefined, {
    email,
    password,
    captcha: await solveCaptcha(runtime.app),
  });
  expect(registered.status).toBe(202);
  const mail = await runtime.sandboxes!.smtp.waitForMessage((m) => m.to.includes(email), 10_000);
  const token = /token=([^\s"&<]+)/.exec(mail.text)?.[1];
  expect(token).toBeDefined();
  expect(
    (await api('POST', '/api/v1/auth/email/confirm', undefined, { token: decodeURIComponent(token!) }))
      .status,
  ).toBe(200);
  const login = await api('POST', '/api/v1/auth/login', undefined, { email, password });
  expect(login.status).toBe(200);
  return login.body.accessToken as string;
}

async function topUp(token: string, cents: number) {
  const initialized = await api('POST', '/api/v1/wallet/topups', token, { amount: cents });
  expect(initialized.status).toBe(201);
  // The person pays on the sandbox's hosted checkout page (a plain HTML form), like on Paystack.
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

describe('journeys on the embedded default', () => {
  it('1: register → confirm → log in → top up → buy WhatsApp → code arrives → history and statement', async () => {
    const token = await signUpAndLogIn('journey-one@example.test');
    await topUp(token, 1000);
    const wallet = await api('GET', '/api/v1/wallet', token);
    expect(wallet.body.balance).toEqual({ amount: 1000, currency: 'USD' });
    expect(wallet.body.includedUsage).toBeDefined();

    // The sign-up credit pays for the first verification; the second one is paid from the wallet.
    const first = await api('POST', '/api/v1/verifications', token, { service: 'whatsapp', country: 'US' });
    expect(first.status).toBe(201);
    const bought = await api('POST', '/api/v1/verifications', token, { service: 'whatsapp', country: 'US' });
    expect(bought.status).toBe(201);
    expect(bought.body.phoneNumber).toMatch(/^\+1\d{10}$/);
    const price = bought.body.price.amount as number;
    expect(bought.body.price.currency).toBe('USD');

    // The sandbox delivers a realistic SMS shortly after and posts its signed webhook to us.
    await expect
      .poll(async () => (await api('GET', `/api/v1/verifications/${bought.body.id}`, token)).body.status, {
        timeout: 15_000,
      })
      .toBe('completed');
    const detail = await api('GET', `/api/v1/verifications/${bought.body.id}`, token);
    expect(detail.body.code).toMatch(/^[0-9A-Z]{4,8}$/);
    expect(detail.body.messages.length).toBeGreaterThanOrEqual(1);

    const history = await api('GET', '/api/v1/verifications?status=completed', token);
    expect(history.body.data.map((v: { id: string }) => v.id)).toContain(bought.body.id);
    expect((await api('GET', '/api/v1/wallet', token)).body.balance).toEqual({
      amount: 1000 - price,
      currency: 'USD',
    });
    const statement = await api('GET', '/api/v1/wallet/statement', token);
    const lines = statement.body.data as { type: string; amount: { amount: number } }[];
    expect(lines.map((line) => line.type)).toEqual(expect.arrayContaining(['top-up', 'hold', 'capture']));
    expect(lines.find((line) => line.type === 'top-up')?.amount.amount).toBe(1000);
    expect((await checkLedgerInvariants(runtime.database.db)).violations).toEqual([]);
  }, 90_000);

  it('2: cancel before any SMS → refunded at once', async () => {
    const token = await signUpAndLogIn('journey-two@example.test');
    await topUp(token, 500);
    // Spend the sign-up credit first so the order below is paid in money.
    expect(
      (await api('POST', '/api/v1/verifications', token, { service: 'telegram', country: 'US' })).status,
    ).toBe(201);
    const before = (await api('GET', '/api/v1/wallet', token)).body.balance.amount as number;
    // The sandbox sends its SMS two seconds after a purchase; the person cancels before that.
    const order = await api('POST', '/api/v1/verifications', token, { service: 'google', country: 'US' });
    expect(order.status).toBe(201);
    const held = await api('GET', '/api/v1/wallet', token);
    expect(held.body.held.amount).toBeGreaterThan(0);
    const canceled = await api('POST', `/api/v1/verifications/${order.body.id}/cancel`, token, {});
    expect(canceled.status).toBe(200);
    expect(canceled.body.status).toBe('canceled');
    const after = await api('GET', '/api/v1/wallet', token);
    expect(after.body.balance.amount).toBe(before);
    expect((await checkLedgerInvariants(runtime.database.db)).violations).toEqual([]);
  }, 90_000);
});

// Journey 6 (SPEC §1): the administrator is made as `npm run admin:create` makes one.
describe('journey 6 on the embedded default', () => {
  it('6: an administrator finds a user, reads their ledger, adjusts the balance, suspends them, reads the audit log', async () => {
    const userToken = await signUpAndLogIn('journey-six@example.test');
    await topUp(userToken, 800);

    const made = await runtime.services.accounts.provisionAdmin('journey-six-admin@example.test');
    expect(made.outcome).toBe('created');
    const password = made.outcome === 'created' ? made.password : '';
    const login = await api('POST', '/api/v1/auth/login', undefined, {
      email: 'journey-six-admin@example.test',
      password,
    });
    expect(login.status).toBe(200);
    const adminToken = login.body.accessToken as string;
    // Admin routes wait for two-factor authentication.
    expect((await api('GET', '/api/v1/admin/users?q=journey-six', adminToken)).body.error.code).toBe(
      'mfa_setup_required',
    );
    const setup = await api('POST', '/api/v1/mfa/totp', adminToken, {});
    const otp = await generate({ secret: setup.body.secret as string });
    expect((await api('POST', '/api/v1/mfa/totp/verify', adminToken, { otp })).status).toBe(200);

    const found = await api('GET', '/api/v1/admin/users?q=journey-six%40', adminToken);
    expect(found.status).toBe(200);
    expect(found.body.data).toHaveLength(1);
    const userId = found.body.data[0].id as string;
    const detail = await api('GET', `/api/v1/admin/users/${userId}`, adminToken);
    expect(detail.body.wallet.balance).toEqual({ amount: 800, currency: 'USD' });
    const ledger = await api('GET', `/api/v1/admin/users/${userId}/ledger`, adminToken);
    expect(ledger.body.data.map((line: { type: string }) => line.type)).toEqual(['top-up']);

    const adjustment = await fetch(`${base}/api/v1/admin/users/${userId}/adjustments`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${adminToken}`,
        'content-type': 'application/json',
        'idempotency-key': 'journey-six-adjustment',
      },
      body: JSON.stringify({ amount: -300, reason: 'duplicate top-up credited by support' }),
    });
    expect(adjustment.status).toBe(201);
    expect((await api('GET', '/api/v1/wallet', userToken)).body.balance).toEqual({
      amount: 500,
      currency: 'USD',
    });

    const suspended = await api('POST', `/api/v1/admin/users/${userId}/suspend`, adminToken, {
      reason: 'card testing',
    });
    expect(suspended.status).toBe(200);
    // Locked out at once: the very next request of theirs is refused.
    expect((await api('GET', '/api/v1/me', userToken)).status).toBe(403);

    const audit = await api('GET', `/api/v1/admin/audit-log?subjectId=${userId}`, adminToken);
    expect(audit.body.data.map((entry: { action: string }) => entry.action)).toEqual(
      expect.arrayContaining(['user.suspended', 'admin.balance_adjusted']),
    );
    expect((await api('GET', '/api/v1/admin/invariants', adminToken)).body.ok).toBe(true);
  }, 90_000);
});
