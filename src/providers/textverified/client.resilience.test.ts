import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createTextVerifiedClient } from './client.js';
import { parseWebhookEvent, verifyWebhookSignature } from './webhook.js';
import {
  useSandboxCleanup,
  API_KEY,
  USERNAME,
  SECRET,
  open,
  setup,
  count,
  caught,
  waitFor,
  buy,
} from './client.suite.js';

useSandboxCleanup();

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
    // The receiver logs a request before the sandbox has read its answer: wait for the sandbox too.
    await waitFor(() => sandbox.control.webhooks().filter((w) => w.delivered).length >= 2);
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

  it('sends only the events the account subscribes to', async () => {
    const hook = await receiver();
    const { sandbox, client } = await setup({ webhookUrl: hook.url, webhookEvents: ['v2.sms.received'] });
    const v = await buy(client, 'whatsapp');
    sandbox.control.deliverSms(v.id);
    await waitFor(() => hook.received.length >= 1 && true);
    await waitFor(() => sandbox.control.webhooks().some((w) => w.delivered));
    expect(hook.received.map((r) => parseWebhookEvent(r.body).event)).toEqual(['v2.sms.received']);
    expect(sandbox.control.webhooks().map((w) => w.event)).toEqual(['v2.sms.received']);
  });
});
