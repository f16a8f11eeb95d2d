import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkLedgerInvariants } from '../src/modules/ledger/index.js';
import type { Runtime } from '../src/runtime.js';
import { type EmbeddedApp, startEmbeddedApp } from './support/embedded.js';
import { eventsReceived, journeyClient } from './support/journey.js';
import { type WebhookReceiver, startWebhookReceiver } from './support/webhooks.js';

/**
 * SPEC §1 journeys 1, 2, 4, 5 and 6 through the public HTTP API of the embedded default: PGlite,
 * and the TextVerified, Paystack and SMTP sandboxes in-process, reached by the real clients over
 * HTTP. Journey 3 moves the process clock by months: it has a file (and server) of its own,
 * journey-plans.e2e.test.ts.
 */
let embedded: EmbeddedApp;
let runtime: Runtime;
let base: string;

beforeAll(async () => {
  // Each journey's person has an address of their own, sent through the trusted loopback proxy.
  embedded = await startEmbeddedApp({
    // Long enough for journey 2 to cancel before the SMS even on a busy machine.
    SANDBOX_SMS_DELAY_MS: '6000',
    TRUST_PROXY: '127.0.0.1',
    ALLOW_PRIVATE_WEBHOOK_TARGETS: 'true',
  });
  ({ runtime, base } = embedded);
  // Generous: the first start migrates a fresh PGlite, slow on a busy machine.
}, 240_000);

afterAll(async () => {
  await embedded?.close();
});

describe('journeys on the embedded default', () => {
  it('1: register → confirm → log in → top up → buy WhatsApp → code arrives → history and statement', async () => {
    const { api, signUpAndLogIn, topUp } = journeyClient(embedded, '203.0.113.1');
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
        timeout: 60_000,
        interval: 500,
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
    const { api, signUpAndLogIn, topUp } = journeyClient(embedded, '203.0.113.2');
    const token = await signUpAndLogIn('journey-two@example.test');
    await topUp(token, 500);
    // Spend the sign-up credit first so the order below is paid in money.
    expect(
      (await api('POST', '/api/v1/verifications', token, { service: 'telegram', country: 'US' })).status,
    ).toBe(201);
    const before = (await api('GET', '/api/v1/wallet', token)).body.balance.amount as number;
    // The sandbox sends its SMS six seconds after a purchase; the person cancels before that.
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
    const { api, signUpAndLogIn, topUp } = journeyClient(embedded, '203.0.113.6');
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
        'x-forwarded-for': '203.0.113.6',
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

// Journeys 4 and 5 (SPEC §1): a developer's webhooks and API keys. Webhooks reach a local receiver
// (the local-use flag lets the app send to loopback).
describe('developer journeys on the embedded default', () => {
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    receiver = await startWebhookReceiver();
  });
  afterAll(async () => {
    await receiver?.close();
  });

  const receivedAt = (path: string, secret: string) => eventsReceived(receiver, path, secret);

  it('4: webhook endpoint → test event → buy → signed verification.completed; a failed delivery is retried with backoff and redelivered', async () => {
    const { api, signUpAndLogIn, topUp } = journeyClient(embedded, '203.0.113.4');
    const token = await signUpAndLogIn('journey-four@example.test');
    await topUp(token, 1000);
    const url = `${receiver.base}/journey-four`;
    const input = { url, events: ['verification.completed'], description: 'my shop' };
    // Freemium has no webhooks; payg is free and immediate.
    const refused = await api('POST', '/api/v1/webhook-endpoints', token, input);
    expect([refused.status, refused.body.error.code]).toEqual([403, 'tier_required']);
    expect((await api('POST', '/api/v1/subscription', token, { tier: 'payg' })).body.tier).toBe('payg');
    const endpoint = await api('POST', '/api/v1/webhook-endpoints', token, input);
    expect(endpoint.status).toBe(201);
    const { id: endpointId, secret } = endpoint.body as { id: string; secret: string };
    expect(secret).toMatch(/^whsec_/);

    const test = await api('POST', `/api/v1/webhook-endpoints/${endpointId}/test`, token);
    expect([test.status, test.body.status, test.body.lastStatusCode]).toEqual([200, 'succeeded', 200]);
    const [testEvent] = receivedAt('/journey-four', secret);
    expect(testEvent).toMatchObject({ event: { type: 'webhook.test' }, signed: true });
    expect(testEvent!.eventIdHeader).toBe(testEvent!.event.id);

    const bought = await api('POST', '/api/v1/verifications', token, { service: 'whatsapp', country: 'US' });
    expect(bought.status).toBe(201);
    const completedEvent = async (verificationId: string) =>
      receivedAt('/journey-four', secret).filter(
        (hit) => hit.event.type === 'verification.completed' && hit.event.data.id === verificationId,
      );
    // The SMS arrives six seconds later; the delivery job sends the event on its next pass.
    await expect
      .poll(async () => (await completedEvent(bought.body.id)).length, { timeout: 120_000 })
      .toBe(1);
    const [completed] = await completedEvent(bought.body.id);
    expect(completed!.signed).toBe(true);
    const detail = await api('GET', `/api/v1/verifications/${bought.body.id}`, token);
    expect(completed!.event.data).toMatchObject({ status: 'completed', code: detail.body.code });
    expect(detail.body.code).toMatch(/^[0-9A-Z]{4,8}$/);

    // The receiver is down for the next event: the attempt fails and a retry is scheduled with backoff.
    receiver.answer('/journey-four', (res) => res.writeHead(500).end('down for maintenance'));
    const second = await api('POST', '/api/v1/verifications', token, { service: 'whatsapp', country: 'US' });
    expect(second.status).toBe(201);
    await expect
      .poll(async () => (await completedEvent(second.body.id)).length, { timeout: 120_000 })
      .toBe(1);
    const eventId = (await completedEvent(second.body.id))[0]!.event.id;
    const deliveryOf = async () =>
      (await api('GET', `/api/v1/webhook-endpoints/${endpointId}/deliveries`, token)).body.data.find(
        (delivery: { eventId: string }) => delivery.eventId === eventId,
      ) as {
        id: string;
        status: string;
        log: { statusCode: number; attemptedAt: string; nextRetryAt: string }[];
      };
    // The log is written once the receiver has answered.
    await expect
      .poll(async () => (await deliveryOf()).log.length, { timeout: 30_000, interval: 500 })
      .toBe(1);
    const failed = await deliveryOf();
    expect(failed.status).toBe('pending');
    const attempt = failed.log[0]!;
    expect(attempt.statusCode).toBe(500);
    const backoff = new Date(attempt.nextRetryAt).getTime() - new Date(attempt.attemptedAt).getTime();
    expect(backoff).toBeGreaterThanOrEqual(20_000);
    // About 30 s later the retry reaches the receiver, which is back: the same event id again.
    await expect
      .poll(async () => (await completedEvent(second.body.id)).length, { timeout: 120_000 })
      .toBe(2);
    await expect
      .poll(async () => (await deliveryOf()).status, { timeout: 30_000, interval: 500 })
      .toBe('succeeded');
    const redelivered = await api('POST', `/api/v1/webhook-deliveries/${failed.id}/redeliver`, token);
    expect([redelivered.status, redelivered.body.status]).toEqual([200, 'succeeded']);
    const hits = await completedEvent(second.body.id);
    expect(hits).toHaveLength(3);
    expect(new Set(hits.map((hit) => hit.event.id))).toEqual(new Set([eventId]));
    expect(hits.every((hit) => hit.signed)).toBe(true);
    expect((await checkLedgerInvariants(runtime.database.db)).violations).toEqual([]);
  }, 300_000);

  it('5: API key → catalogue, buy, poll, cancel with the key → rotate → revoke → the next call is refused', async () => {
    const { api, signUpAndLogIn, topUp, balance } = journeyClient(embedded, '203.0.113.5');
    const token = await signUpAndLogIn('journey-five@example.test');
    await topUp(token, 1000);
    const scopes = ['verifications:read', 'verifications:write', 'wallet:read'];
    const input = { name: 'my build server', scopes };
    // Freemium has no API keys; payg is free and immediate.
    const refused = await api('POST', '/api/v1/api-keys', token, input);
    expect([refused.status, refused.body.error.code]).toEqual([403, 'tier_required']);
    expect((await api('POST', '/api/v1/subscription', token, { tier: 'payg' })).body.tier).toBe('payg');
    const made = await api('POST', '/api/v1/api-keys', token, input);
    expect(made.status).toBe(201);
    const { id: keyId, key } = made.body as { id: string; key: string; prefix: string };
    expect(key).toMatch(/^nmk_live_/);
    const listed = await api('GET', '/api/v1/api-keys', token);
    expect(listed.body.data.map((k: { prefix: string }) => k.prefix)).toEqual([made.body.prefix]);
    expect(JSON.stringify(listed.body)).not.toContain(key);

    // From here on the program uses the key alone.
    const services = await api('GET', '/api/v1/catalog/services?country=US', key);
    expect(services.body.data.map((s: { name: string }) => s.name)).toEqual(
      expect.arrayContaining(['whatsapp', 'google']),
    );
    // The sign-up credit pays for the first order; the next one is paid from the wallet.
    const free = await api('POST', '/api/v1/verifications', key, { service: 'whatsapp', country: 'US' });
    expect(free.status).toBe(201);
    const quote = await api('GET', '/api/v1/catalog/quote?service=telegram&country=US&capability=voice', key);
    expect(quote.status).toBe(200);
    const price = quote.body.price.amount as number;
    const before = await balance(token);
    // A voice number: the sandbox never calls on its own, so nothing races the cancel below.
    const order = await api(
      'POST',
      '/api/v1/verifications',
      key,
      { service: 'telegram', country: 'US', capability: 'voice', maxPrice: price },
      { 'idempotency-key': 'journey-five-order' },
    );
    expect([order.status, order.body.price]).toEqual([201, { amount: price, currency: 'USD' }]);
    const wallet = await api('GET', '/api/v1/wallet', key);
    expect(wallet.body.balance.amount).toBe(before - price);
    expect(wallet.body.held.amount).toBeGreaterThanOrEqual(price);
    const polled = await api('GET', `/api/v1/verifications/${order.body.id}`, key);
    expect([polled.body.status, polled.body.phoneNumber]).toEqual(['active', order.body.phoneNumber]);
    const canceled = await api('POST', `/api/v1/verifications/${order.body.id}/cancel`, key, {});
    expect([canceled.status, canceled.body.status]).toEqual([200, 'canceled']);
    expect((await api('GET', '/api/v1/wallet', key)).body.balance.amount).toBe(before);
    // A key never manages keys, whatever its scopes.
    expect((await api('POST', '/api/v1/api-keys', key, input)).status).toBe(403);

    // Rotation: a new secret; the old one keeps working through the overlap.
    const rotated = await api('POST', `/api/v1/api-keys/${keyId}/rotate`, token);
    expect(rotated.status).toBe(200);
    const newKey = rotated.body.key as string;
    expect(newKey).not.toBe(key);
    for (const secret of [key, newKey]) {
      expect((await api('GET', `/api/v1/verifications/${order.body.id}`, secret)).body.status).toBe(
        'canceled',
      );
    }

    expect((await api('DELETE', `/api/v1/api-keys/${keyId}`, token)).status).toBe(204);
    for (const secret of [newKey, key]) {
      const next = await api('GET', '/api/v1/verifications', secret);
      expect([next.status, next.body.error.code]).toEqual([401, 'unauthenticated']);
    }
    expect((await checkLedgerInvariants(runtime.database.db)).violations).toEqual([]);
  }, 180_000);
});
