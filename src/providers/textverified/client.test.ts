/** The real client against the started TextVerified sandbox, end to end over HTTP. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  startTextVerifiedSandbox,
  type TextVerifiedSandbox,
  type TextVerifiedSandboxOptions,
} from '../../sandbox/textverified/index.js';
import {
  createTextVerifiedClient,
  type TextVerifiedClient,
  type TextVerifiedClientOptions,
} from './client.js';
import { TextVerifiedError } from './errors.js';
import { parseWebhookEvent, verifyWebhookSignature } from './webhook.js';

const API_KEY = 'tv_test_key';
const USERNAME = 'ops@namaskah.test';
const SECRET = 'whsec_sandbox_secret';

const open: Array<{ close: () => Promise<void> | void }> = [];
afterEach(async () => {
  while (open.length) await open.pop()?.close();
});

async function setup(
  sandboxOpts: Partial<TextVerifiedSandboxOptions> = {},
  clientOpts: Partial<TextVerifiedClientOptions> = {},
): Promise<{ sandbox: TextVerifiedSandbox; client: TextVerifiedClient }> {
  const sandbox = await startTextVerifiedSandbox({
    apiKey: API_KEY,
    username: USERNAME,
    webhookSecret: SECRET,
    smsDelayMs: 60_000, // tests deliver SMS through the control API unless they say otherwise
    ...sandboxOpts,
  });
  open.push(sandbox);
  const client = createTextVerifiedClient({
    baseUrl: sandbox.url,
    apiKey: API_KEY,
    username: USERNAME,
    timeoutMs: 2_000,
    retry: { retries: 3, initialDelayMs: 5, maxDelayMs: 20 },
    ...clientOpts,
  });
  return { sandbox, client };
}

const count = (sandbox: TextVerifiedSandbox, method: string, path: string) =>
  sandbox.control.requests().filter((r) => r.method === method && r.path === path).length;

async function caught(promise: Promise<unknown>): Promise<TextVerifiedError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(TextVerifiedError);
    return error as TextVerifiedError;
  }
  throw new Error('expected a TextVerifiedError');
}

async function waitFor<T>(fn: () => T | undefined | false, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('waitFor timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const buy = (client: TextVerifiedClient, serviceName = 'whatsapp', key = `key-${Math.random()}`) =>
  client.createVerification({ serviceName, capability: 'sms' }, { idempotencyKey: key });

describe('auth', () => {
  it('authenticates once for many concurrent calls and reuses the token', async () => {
    const { sandbox, client } = await setup();
    await Promise.all([
      client.listAreaCodes(),
      client.getBalance(),
      client.listServices(),
      client.getBalance(),
    ]);
    await client.listAreaCodes();
    expect(count(sandbox, 'POST', '/api/pub/v2/auth')).toBe(1);
  });

  it('re-authenticates shortly before the token expires', async () => {
    let clock = Date.parse('2026-11-25T12:00:00Z');
    const now = () => new Date(clock);
    const { sandbox, client } = await setup({ now, tokenTtlMs: 900_000 }, { now });
    await client.getBalance();
    clock += 800_000; // 100 s left: still outside the 60 s margin
    await client.getBalance();
    expect(count(sandbox, 'POST', '/api/pub/v2/auth')).toBe(1);
    clock += 50_000; // 50 s left: refresh
    await client.getBalance();
    expect(count(sandbox, 'POST', '/api/pub/v2/auth')).toBe(2);
  });

  it('re-authenticates once on a 401 and repeats the call', async () => {
    const { sandbox, client } = await setup();
    await client.getBalance();
    sandbox.control.expireTokens();
    expect(await client.getBalance()).toBe(10_000);
    expect(count(sandbox, 'POST', '/api/pub/v2/auth')).toBe(2);
    expect(count(sandbox, 'GET', '/api/pub/v2/account/me')).toBe(3);
  });

  it('reports bad credentials as unauthorized', async () => {
    const { client } = await setup({}, { apiKey: 'wrong' });
    const error = await caught(client.getBalance());
    expect(error.kind).toBe('unauthorized');
    expect(error.status).toBe(401);
  });
});

describe('catalogue', () => {
  it('lists services, area codes, prices in cents and inventory', async () => {
    const { client } = await setup();
    const services = await client.listServices({ numberType: 'mobile', reservationType: 'verification' });
    expect(services.length).toBeGreaterThanOrEqual(45);
    expect(services).toContainEqual({
      serviceName: 'whatsapp',
      displayName: 'WhatsApp',
      capability: 'smsAndVoiceCombo',
    });
    const areaCodes = await client.listAreaCodes();
    expect(areaCodes).toContainEqual({ areaCode: '205', state: 'Alabama' });
    expect(await client.priceVerification({ serviceName: 'whatsapp' })).toEqual({
      serviceName: 'whatsapp',
      priceCents: 95,
    });
    expect(
      (await client.priceVerification({ serviceName: 'whatsapp', areaCode: true, carrier: true })).priceCents,
    ).toBe(115);
    expect(await client.inventory({ serviceName: 'whatsapp' })).toBe(250);
    expect(await client.inventory({ serviceName: 'yikyak' })).toBe(0);
    const error = await caught(client.priceVerification({ serviceName: 'nosuchservice' }));
    expect(error.kind).toBe('bad_request');
  });
});

describe('verifications', () => {
  it('buys a number, receives the SMS and lists it with its parsed code', async () => {
    const { sandbox, client } = await setup();
    const v = await buy(client);
    expect(v).toMatchObject({
      serviceName: 'whatsapp',
      state: 'pending',
      totalCostCents: 95,
      canCancel: true,
    });
    expect(v.number).toMatch(/^\d{10}$/);
    expect(v.e164).toBe(`+1${v.number}`);
    expect(v.endsAt.getTime() - v.createdAt.getTime()).toBe(15 * 60_000);
    expect(await client.getBalance()).toBe(10_000 - 95);

    sandbox.control.deliverSms(v.id, {
      code: '123456',
      text: "Your WhatsApp code is 123-456. Don't share this code with others",
    });
    const after = await client.getVerification(v.id);
    expect(after).toMatchObject({ state: 'completed', canCancel: false });
    const sms = await client.listSms({ reservationId: v.id });
    expect(sms).toHaveLength(1);
    expect(sms[0]).toMatchObject({
      to: v.number,
      parsedCode: '123456',
      text: expect.stringContaining('123-456'),
    });
  });

  it('delivers a realistic SMS by itself after smsDelayMs', async () => {
    const { sandbox, client } = await setup({ smsDelayMs: 30 });
    const v = await buy(client, 'telegram');
    await waitFor(() => sandbox.control.verification(v.id)?.state === 'verificationCompleted');
    const list = await client.listSms({ reservationId: v.id });
    expect(list).toHaveLength(1);
    expect(list[0]?.text).toMatch(/^Telegram code: \d{5}/);
    expect(list[0]?.parsedCode).toMatch(/^\d{5}$/);
    expect((await client.getVerification(v.id)).state).toBe('completed');
  });

  it('follows links.next through every page of SMS', async () => {
    const { sandbox, client } = await setup({ pageSize: 2 });
    const v = await buy(client);
    for (let i = 0; i < 5; i++) sandbox.control.deliverSms(v.id, { code: `10000${i}` });
    const sms = await client.listSms({ reservationId: v.id });
    expect(sms.map((m) => m.parsedCode)).toEqual(['100000', '100001', '100002', '100003', '100004']);
    expect(count(sandbox, 'GET', '/api/pub/v2/sms')).toBe(3);
  });

  it('lists every verification across pages', async () => {
    const { client } = await setup({ pageSize: 2 });
    const bought = [await buy(client), await buy(client, 'google'), await buy(client, 'uber')];
    const all = await client.listVerifications();
    for (const v of bought)
      expect(all).toContainEqual(
        expect.objectContaining({ id: v.id, state: 'pending', totalCostCents: v.totalCostCents }),
      );
    expect(all.map((v) => v.id).sort()).toEqual(bought.map((v) => v.id).sort());
  });

  it('cancels before an SMS (refunded) and refuses to cancel after one', async () => {
    const { sandbox, client } = await setup();
    const first = await buy(client);
    await client.cancelVerification(first.id);
    expect((await client.getVerification(first.id)).state).toBe('canceled');
    expect(await client.getBalance()).toBe(10_000);

    const second = await buy(client);
    sandbox.control.deliverSms(second.id);
    const error = await caught(client.cancelVerification(second.id));
    expect(error).toMatchObject({ kind: 'bad_request', status: 400, ambiguous: false });
    expect((await client.getVerification(second.id)).state).toBe('completed');
  });

  it('reports a number (refunded when no code came)', async () => {
    const { client } = await setup();
    const v = await buy(client);
    await client.reportVerification(v.id);
    expect((await client.getVerification(v.id)).state).toBe('reported');
    expect(await client.getBalance()).toBe(10_000);
  });

  it('times out at endsAt and refunds', async () => {
    const { client } = await setup({ verificationTtlMs: 100 });
    const v = await buy(client);
    await new Promise((r) => setTimeout(r, 200));
    const after = await client.getVerification(v.id);
    expect(after).toMatchObject({ state: 'timed_out', canCancel: false });
    expect(await client.getBalance()).toBe(10_000);
  });

  it('times out by the injected clock too, and on command', async () => {
    let clock = Date.parse('2026-11-25T12:00:00Z');
    const now = () => new Date(clock);
    const { sandbox, client } = await setup({ now }, { now });
    const a = await buy(client);
    const b = await buy(client);
    clock = a.endsAt.getTime();
    expect((await client.getVerification(a.id)).state).toBe('timed_out');
    clock += 1;
    expect(sandbox.control.expire(b.id).state).toBe('verificationTimedOut');
  });

  it('maps provider refusals to typed errors', async () => {
    const { sandbox, client } = await setup();
    sandbox.control.setStock('whatsapp', 0);
    expect((await caught(buy(client))).kind).toBe('unavailable');
    expect((await caught(buy(client, 'yikyak'))).kind).toBe('unavailable');

    sandbox.control.setBalance(50);
    expect(await caught(buy(client, 'telegram'))).toMatchObject({
      kind: 'insufficient_balance',
      errorCode: 'InsufficientBalance',
      ambiguous: false,
    });

    sandbox.control.setBalance(10_000);
    const tooCheap = client.createVerification(
      { serviceName: 'telegram', capability: 'sms', maxPriceCents: 50 },
      { idempotencyKey: 'cheap' },
    );
    expect((await caught(tooCheap)).kind).toBe('pricing_failure');
    expect((await caught(client.getVerification('ver_missing'))).kind).toBe('not_found');
    expect(await client.getBalance()).toBe(10_000);
  });

  it('refuses too many unfinished verifications', async () => {
    const { client } = await setup({ maxUnfinished: 2 });
    await buy(client);
    await buy(client);
    expect((await caught(buy(client))).kind).toBe('too_many_unfinished');
  });
});

describe('test_* scenarios', () => {
  it('behaves like the real server test mode', async () => {
    const { client } = await setup();
    const success = await buy(client, 'test_success');
    expect(success).toMatchObject({ state: 'completed', totalCostCents: 75 });
    expect(success.id).toMatch(/^mock_ver_/);
    expect((await client.listSms({ reservationId: success.id }))[0]?.parsedCode).toBe('123456');
    expect((await buy(client, 'test_pending')).state).toBe('pending');
    expect((await buy(client, 'test_timeout')).state).toBe('timed_out');
    expect((await buy(client, 'test_delayed_success')).id).toMatch(/^mock_ver_delay_/);
    expect((await caught(buy(client, 'test_no_numbers'))).kind).toBe('unavailable');
    expect((await caught(buy(client, 'test_insufficient_balance'))).kind).toBe('insufficient_balance');
    expect((await caught(buy(client, 'test_too_many_unfinished_verifications'))).kind).toBe(
      'too_many_unfinished',
    );
    const capped = client.createVerification(
      { serviceName: 'test_success', capability: 'sms', maxPriceCents: 74 },
      { idempotencyKey: 'x' },
    );
    expect((await caught(capped)).kind).toBe('pricing_failure');
    expect((await client.getVerification('mock_ver_pending')).state).toBe('pending');
    expect(await client.getBalance()).toBe(10_000); // test mode never charges
  });
});

describe('idempotency and ambiguity', () => {
  it('replays the same verification for the same Idempotency-Key', async () => {
    const { sandbox, client } = await setup();
    const a = await buy(client, 'whatsapp', 'order-1');
    const b = await buy(client, 'whatsapp', 'order-1');
    expect(b.id).toBe(a.id);
    expect(await client.getBalance()).toBe(10_000 - 95);
    expect(count(sandbox, 'POST', '/api/pub/v2/verifications')).toBe(2);
  });

  it('reports a concurrent request with the same key as idempotency_conflict', async () => {
    const { sandbox, client } = await setup();
    sandbox.control.setCreateLatency(150);
    const results = await Promise.allSettled([
      buy(client, 'whatsapp', 'same'),
      buy(client, 'whatsapp', 'same'),
    ]);
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(rejected).toHaveLength(1);
    expect(rejected[0]?.reason).toMatchObject({ kind: 'idempotency_conflict', status: 409, ambiguous: true });
  });

  it('surfaces a create that times out as ambiguous and never retries it', async () => {
    const { sandbox, client } = await setup({}, { timeoutMs: 300 });
    sandbox.control.injectFault({ path: 'verifications', method: 'POST', mode: 'hang' });
    const error = await caught(buy(client, 'whatsapp', 'order-hang'));
    expect(error).toMatchObject({ kind: 'timeout', ambiguous: true });
    expect(count(sandbox, 'POST', '/api/pub/v2/verifications')).toBe(1);
  });

  it('a lost 201 is ambiguous; retrying later with the same key recovers the same purchase', async () => {
    const { sandbox, client } = await setup();
    sandbox.control.injectFault({ path: 'verifications', method: 'POST', mode: 'drop', afterEffect: true });
    const error = await caught(buy(client, 'whatsapp', 'order-drop'));
    expect(error).toMatchObject({ kind: 'network', ambiguous: true });
    expect(count(sandbox, 'POST', '/api/pub/v2/verifications')).toBe(1);
    const bought = await buy(client, 'whatsapp', 'order-drop');
    expect(await client.getBalance()).toBe(10_000 - 95);
    expect(bought.state).toBe('pending');
  });

  it('a 5xx on create is ambiguous and not retried', async () => {
    const { sandbox, client } = await setup();
    sandbox.control.injectFault({ path: 'verifications', method: 'POST', mode: 'error', afterEffect: true });
    const error = await caught(buy(client, 'whatsapp', 'order-500'));
    expect(error).toMatchObject({ kind: 'server_error', status: 500, ambiguous: true });
    expect(count(sandbox, 'POST', '/api/pub/v2/verifications')).toBe(1);
  });

  it('a refused connection on create is not ambiguous', async () => {
    const { sandbox } = await setup();
    const url = sandbox.url;
    await sandbox.close();
    open.length = 0;
    const client = createTextVerifiedClient({
      baseUrl: url,
      apiKey: API_KEY,
      username: USERNAME,
      retry: { retries: 0 },
    });
    const error = await caught(buy(client));
    expect(error).toMatchObject({ kind: 'network', ambiguous: false });
  });
});

describe('resilience', () => {
  it('retries reads on 500 and on dropped connections, then succeeds', async () => {
    const { sandbox, client } = await setup();
    await client.getBalance(); // auth first, so only the read is counted below
    sandbox.control.injectFault({ path: 'area-codes', mode: 'error', count: 2 });
    expect((await client.listAreaCodes()).length).toBeGreaterThan(25);
    expect(count(sandbox, 'GET', '/api/pub/v2/area-codes')).toBe(3);

    sandbox.control.injectFault({ path: 'services', mode: 'drop', count: 1 });
    expect((await client.listServices()).length).toBeGreaterThan(0);
    expect(count(sandbox, 'GET', '/api/pub/v2/services')).toBe(2);
  });

  it('retries a read that times out', async () => {
    const { sandbox, client } = await setup({}, { timeoutMs: 200 });
    sandbox.control.injectFault({ path: 'account/me', mode: 'hang', count: 1 });
    expect(await client.getBalance()).toBe(10_000);
    expect(count(sandbox, 'GET', '/api/pub/v2/account/me')).toBe(2);
  });

  it('gives up on reads after the configured retries with a non-ambiguous server_error', async () => {
    const { sandbox, client } = await setup({}, { retry: { retries: 2, initialDelayMs: 1, maxDelayMs: 2 } });
    await client.getBalance();
    sandbox.control.injectFault({ path: 'area-codes', mode: 'error', count: 10 });
    expect(await caught(client.listAreaCodes())).toMatchObject({
      kind: 'server_error',
      ambiguous: false,
      circuitOpen: false,
    });
    expect(count(sandbox, 'GET', '/api/pub/v2/area-codes')).toBe(3);
  });

  it('opens the circuit after consecutive failures and then fails fast without calling', async () => {
    const { sandbox, client } = await setup(
      {},
      { retry: { retries: 0 }, circuitBreaker: { consecutiveFailures: 3, halfOpenAfterMs: 60_000 } },
    );
    await client.getBalance();
    sandbox.control.injectFault({ path: 'area-codes', mode: 'error', count: 100 });
    for (let i = 0; i < 3; i++) expect((await caught(client.listAreaCodes())).circuitOpen).toBe(false);
    expect(client.circuitState()).toBe('open');
    const fast = await caught(client.getBalance());
    expect(fast).toMatchObject({ kind: 'server_error', circuitOpen: true, ambiguous: false });
    expect(count(sandbox, 'GET', '/api/pub/v2/area-codes')).toBe(3);
    expect(count(sandbox, 'GET', '/api/pub/v2/account/me')).toBe(1);
  });

  it('does not count business refusals against the circuit', async () => {
    const { sandbox, client } = await setup({}, { circuitBreaker: { consecutiveFailures: 2 } });
    sandbox.control.setStock('whatsapp', 0);
    for (let i = 0; i < 4; i++) expect((await caught(buy(client))).kind).toBe('unavailable');
    expect(client.circuitState()).toBe('closed');
  });
});

describe('webhooks from the sandbox', () => {
  async function receiver(statuses: number[] = []) {
    const received: Array<{ body: Buffer; signature: string | undefined }> = [];
    const server: Server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({
          body: Buffer.concat(chunks),
          signature: req.headers['x-webhook-signature'] as string | undefined,
        });
        res.statusCode = statuses.shift() ?? 200;
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    open.push({ close: () => new Promise<void>((resolve) => server.close(() => resolve())) });
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/textverified`,
      received,
    };
  }

  it('posts a signed v2.sms.received that verifies and parses', async () => {
    const hook = await receiver();
    const { sandbox, client } = await setup({ webhookUrl: null });
    sandbox.control.setWebhook(hook.url);
    const v = await buy(client, 'whatsapp');
    sandbox.control.deliverSms(v.id);
    const sms = await waitFor(() => hook.received.find((r) => r.body.toString().includes('v2.sms.received')));
    expect(sms.signature).toMatch(/^HMAC-SHA512=/);
    expect(client.verifyWebhookSignature(sms.body, sms.signature, SECRET)).toBe(true);
    expect(verifyWebhookSignature(sms.body, sms.signature, 'whsec_wrong')).toBe(false);
    const event = parseWebhookEvent(sms.body);
    if (event.type !== 'sms.received') throw new Error(`unexpected ${event.type}`);
    expect(event.sms.reservationId).toBe(v.id);
    expect(event.sms.text).toMatch(/^Your WhatsApp code is \d{3}-\d{3}\. Don't share this code with others$/);
    expect(event.sms.parsedCode).toMatch(/^\d{6}$/);
    expect(event.attempt).toBe(1);
    expect(event.dedupeKey).toBeTruthy();
  });

  it('retries a failed delivery with the attempt counter raised', async () => {
    const hook = await receiver([500, 503]);
    const { sandbox, client } = await setup({ webhookUrl: hook.url, webhookRetryBaseMs: 10 });
    const v = await buy(client, 'whatsapp');
    await waitFor(() => hook.received.length >= 3 && true); // reservation.created: 500, 503, 200
    sandbox.control.deliverSms(v.id);
    await waitFor(() => hook.received.length >= 4 && true);
    const attempts = hook.received.map((r) => parseWebhookEvent(r.body));
    expect(attempts.map((e) => [e.event, e.attempt])).toEqual([
      ['v2.reservation.created', 1],
      ['v2.reservation.created', 2],
      ['v2.reservation.created', 3],
      ['v2.sms.received', 1],
    ]);
    for (const r of hook.received) expect(verifyWebhookSignature(r.body, r.signature, SECRET)).toBe(true);
    expect(new Set(attempts.slice(0, 3).map((e) => e.dedupeKey)).size).toBe(1);
    expect(sandbox.control.webhooks().filter((w) => w.delivered)).toHaveLength(2);
  });
});
