import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startPaystackSandbox, type PaystackSandbox } from './server.js';
import { startWebhookReceiver, type WebhookReceiver } from './testing.js';

const SECRET = 'sk_test_sandbox_suite';
const auth = { authorization: `Bearer ${SECRET}` };
let sandbox: PaystackSandbox;
let receiver: WebhookReceiver;

async function api(method: string, path: string, body?: unknown, headers: Record<string, string> = auth) {
  const response = await fetch(`${sandbox.url}${path}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return {
    status: response.status,
    json: (await response.json()) as Record<string, unknown> & { data?: Record<string, unknown> },
  };
}

async function initialize(fields: Record<string, unknown> = {}) {
  const { status, json } = await api('POST', '/transaction/initialize', {
    email: 'pat@example.com',
    amount: 50_000,
    callback_url: 'https://app.example/return',
    ...fields,
  });
  expect(status).toBe(200);
  return json.data as { authorization_url: string; access_code: string; reference: string };
}

const sign = (body: Buffer | string) => createHmac('sha512', SECRET).update(body).digest('hex');

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  sandbox = await startPaystackSandbox({
    secretKey: SECRET,
    webhookUrl: receiver.url,
    webhookRetryDelaysMs: [10, 20],
  });
});
afterAll(async () => {
  await sandbox.close();
  await receiver.close();
});
beforeEach(() => {
  sandbox.control.reset();
  sandbox.control.setWebhookUrl(receiver.url);
});

describe('Paystack sandbox API', () => {
  it('answers 401 Invalid key for a missing or wrong key', async () => {
    const variants: Record<string, string>[] = [
      {},
      { authorization: 'Bearer sk_test_nope' },
      { authorization: SECRET },
    ];
    for (const headers of variants) {
      const { status, json } = await api('GET', '/transaction/verify/abc', undefined, headers);
      expect(status).toBe(401);
      expect(json).toEqual({ status: false, message: 'Invalid key' });
    }
  });

  it('initializes from a form body with a string amount, generates a reference, defaults to NGN', async () => {
    const response = await fetch(`${sandbox.url}/transaction/initialize`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        email: 'form@example.com',
        amount: '250000',
        metadata: '{"custom":"x"}',
      }).toString(),
    });
    expect(response.status).toBe(200);
    const json = (await response.json()) as {
      status: boolean;
      message: string;
      data: Record<string, string>;
    };
    expect(json.status).toBe(true);
    expect(json.message).toBe('Authorization URL created');
    expect(json.data.reference).toMatch(/^[A-Za-z0-9]{20}$/);
    expect(json.data.authorization_url).toBe(`${sandbox.url}/checkout/${json.data.access_code}`);
    const verify = await api('GET', `/transaction/verify/${json.data.reference}`);
    expect(verify.json.data).toMatchObject({
      amount: 250000,
      currency: 'NGN',
      metadata: { custom: 'x' },
      status: 'abandoned',
    });
  });

  it('validates email, amount, currency and reference like Paystack', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ email: 'not-an-email' }, 'Invalid Email Address Passed'],
      [{ amount: '12.5' }, 'Invalid Amount Sent'],
      [{ amount: -100 }, 'Invalid Amount Sent'],
      [{ amount: 0 }, 'Invalid Amount Sent'],
      [{ currency: 'EUR' }, 'Currency not supported by merchant'],
      [{ reference: 'has space' }, 'Invalid reference. Only -, ., = and alphanumeric characters are allowed'],
    ];
    for (const [fields, message] of cases) {
      const { status, json } = await api('POST', '/transaction/initialize', {
        email: 'v@example.com',
        amount: 1000,
        ...fields,
      });
      expect(status).toBe(400);
      expect(json).toMatchObject({ status: false, message, type: 'validation_error' });
    }
    for (const currency of ['NGN', 'USD', 'GHS', 'ZAR', 'KES']) {
      expect(
        (await api('POST', '/transaction/initialize', { email: 'v@example.com', amount: 1000, currency }))
          .status,
      ).toBe(200);
    }
  });

  it("takes a JSON body sent without Content-Type, as Paystack's Node SDK sends it", async () => {
    const response = await fetch(`${sandbox.url}/transaction/initialize`, {
      method: 'POST',
      headers: auth,
      // A byte body: fetch adds no Content-Type (a string body would get text/plain).
      body: Buffer.from(JSON.stringify({ email: 'sdk@example.com', amount: 70_000, currency: 'USD' })),
    });
    expect(response.headers.get('content-type')).toMatch(/json/);
    expect(response.status).toBe(200);
    const { data } = (await response.json()) as { data: { reference: string } };
    expect((await api('GET', `/transaction/verify/${data.reference}`)).json.data).toMatchObject({
      amount: 70_000,
      currency: 'USD',
      customer: expect.objectContaining({ email: 'sdk@example.com' }),
    });

    const malformed = await fetch(`${sandbox.url}/transaction/initialize`, {
      method: 'POST',
      headers: auth,
      body: Buffer.from('{"email":'),
    });
    expect(malformed.status).toBe(400);
    const other = await fetch(`${sandbox.url}/transaction/initialize`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/xml' },
      body: JSON.stringify({ email: 'sdk@example.com', amount: 70_000 }),
    });
    expect(other.status).toBe(415);
  });

  it('refuses a duplicate reference with the documented error shape', async () => {
    await initialize({ reference: 'dup-1.a=b' });
    const { status, json } = await api('POST', '/transaction/initialize', {
      email: 'pat@example.com',
      amount: 50_000,
      reference: 'dup-1.a=b',
    });
    expect(status).toBe(400);
    expect(json).toEqual({
      status: false,
      message: 'Duplicate Transaction Reference',
      meta: { nextStep: "Ensure you're passing a unique reference" },
      type: 'validation_error',
      code: 'duplicate_reference',
    });
    expect(
      (await api('GET', `/transaction/verify/${encodeURIComponent('dup-1.a=b')}`)).json.data,
    ).toMatchObject({
      reference: 'dup-1.a=b',
    });
  });

  it('verify returns the full transaction object; unknown is 404', async () => {
    const { reference } = await initialize({ currency: 'USD', metadata: { userId: 'u1' } });
    sandbox.control.pay(reference);
    const { status, json } = await api('GET', `/transaction/verify/${reference}`);
    expect(status).toBe(200);
    expect(json.message).toBe('Verification successful');
    const data = json.data ?? {};
    for (const field of [
      'id',
      'domain',
      'status',
      'reference',
      'receipt_number',
      'amount',
      'requested_amount',
      'currency',
      'message',
      'gateway_response',
      'paid_at',
      'created_at',
      'paidAt',
      'createdAt',
      'transaction_date',
      'channel',
      'ip_address',
      'metadata',
      'log',
      'fees',
      'fees_split',
      'authorization',
      'customer',
      'plan',
      'split',
      'subaccount',
      'order_id',
      'source',
      'connect',
    ]) {
      expect(data).toHaveProperty(field);
    }
    expect(data).toMatchObject({
      domain: 'test',
      status: 'success',
      amount: 50_000,
      currency: 'USD',
      gateway_response: 'Successful',
    });
    expect(data.customer).toMatchObject({
      email: 'pat@example.com',
      customer_code: expect.stringMatching(/^CUS_/),
    });
    expect(data.authorization).toMatchObject({
      authorization_code: expect.stringMatching(/^AUTH_/),
      last4: '4081',
    });

    const byId = await api('GET', `/transaction/${String(data.id)}`);
    expect(byId.json.data).toMatchObject({ reference });
    expect((await api('GET', '/transaction/123')).status).toBe(404);
    const unknown = await api('GET', '/transaction/verify/does-not-exist');
    expect(unknown.status).toBe(404);
    expect(unknown.json).toMatchObject({ status: false, message: 'Transaction reference not found' });
  });
});

describe('Paystack sandbox checkout page', () => {
  it('escapes what it shows and works without a callback URL', async () => {
    const { authorization_url, reference } = await initialize({
      email: '<b>x</b>@example.com',
      callback_url: undefined,
    });
    const html = await (await fetch(authorization_url)).text();
    expect(html).toContain('&lt;b&gt;x&lt;/b&gt;@example.com');
    expect(html.match(/<form method="post"/g)).toHaveLength(2);
    const paid = await fetch(new URL(`./${authorization_url.split('/').pop()}/pay`, authorization_url), {
      method: 'POST',
      redirect: 'manual',
    });
    expect(paid.status).toBe(200);
    expect(await paid.text()).toContain('Payment successful');
    expect(sandbox.control.transaction(reference)).toMatchObject({ status: 'success' });
  });

  it('an unknown access code is a 404 page', async () => {
    const response = await fetch(`${sandbox.url}/checkout/nope`);
    expect(response.status).toBe(404);
    expect(await response.text()).toContain('not valid');
  });

  it('a declined link cannot be paid afterwards', async () => {
    const { authorization_url, reference } = await initialize();
    sandbox.control.decline(reference);
    const page = await fetch(authorization_url);
    expect(page.status).toBe(410);
    expect(await page.text()).toContain('was declined');
    expect((await fetch(`${authorization_url}/pay`, { method: 'POST', redirect: 'manual' })).status).toBe(
      410,
    );
    expect(() => sandbox.control.pay(reference)).toThrow(/already failed/);
  });
});

describe('Paystack sandbox webhooks', () => {
  it('retries a failed delivery with backoff until it gets 200, same bytes and signature each time', async () => {
    receiver.respondWith(500, 503);
    const { reference } = await initialize();
    const before = receiver.received.length;
    sandbox.control.pay(reference);
    const got = (await receiver.waitFor(before + 3)).slice(before);
    expect(new Set(got.map((g) => g.rawBody.toString())).size).toBe(1);
    for (const hook of got) expect(hook.headers['x-paystack-signature']).toBe(sign(hook.rawBody));
    await sandbox.control.settled();
    const [delivery] = sandbox.control.webhooks();
    expect(delivery).toMatchObject({ event: 'charge.success', reference, state: 'delivered' });
    expect(delivery?.attempts.map((a) => a.status)).toEqual([500, 503, 200]);
  });

  it('gives up after the last retry', async () => {
    receiver.respondWith(500, 500, 500);
    const { reference } = await initialize();
    sandbox.control.pay(reference);
    await sandbox.control.settled();
    expect(sandbox.control.webhooks()[0]).toMatchObject({ state: 'failed' });
    expect(sandbox.control.webhooks()[0]?.attempts).toHaveLength(3);
  });

  it('re-sends charge.success N times concurrently', async () => {
    const { reference } = await initialize();
    sandbox.control.pay(reference, { sendWebhook: false });
    const before = receiver.received.length;
    const deliveries = await sandbox.control.resendWebhook(reference, 5);
    expect(deliveries).toHaveLength(5);
    expect(deliveries.every((d) => d.state === 'delivered')).toBe(true);
    const got = receiver.received.slice(before);
    expect(got).toHaveLength(5);
    expect(new Set(got.map((g) => g.headers['x-paystack-signature'])).size).toBe(1);
  });

  it('sends arbitrary bodies signed, unsigned or with a given signature', async () => {
    const before = receiver.received.length;
    await sandbox.control.sendWebhook({
      event: 'charge.success',
      data: { reference: 'forged', amount: '1' },
    });
    await sandbox.control.sendWebhook('{"event":"x"}', { signature: false });
    await sandbox.control.sendWebhook('{"event":"y"}', { signature: 'deadbeef' });
    const [signed, unsigned, given] = receiver.received.slice(before);
    expect(signed?.headers['x-paystack-signature']).toBe(sign(signed?.rawBody ?? ''));
    expect(unsigned?.headers['x-paystack-signature']).toBeUndefined();
    expect(given?.headers['x-paystack-signature']).toBe('deadbeef');
  });

  it('records webhooks as skipped when no URL is configured', async () => {
    sandbox.control.setWebhookUrl(undefined);
    const { reference } = await initialize();
    sandbox.control.pay(reference);
    expect(sandbox.control.webhooks()).toMatchObject([{ state: 'skipped', reference }]);
  });
});

describe('Paystack sandbox control', () => {
  it('outage mode answers 503 on API paths only', async () => {
    const { authorization_url } = await initialize();
    sandbox.control.setOutage(true);
    const { status, json } = await api('GET', '/transaction/verify/x');
    expect(status).toBe(503);
    expect(json.status).toBe(false);
    expect((await fetch(authorization_url)).status).toBe(200);
    expect((await fetch(`${sandbox.url}/_control/requests`)).status).toBe(200);
    await fetch(`${sandbox.url}/_control/outage`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ enabled: false }),
    });
    expect((await api('GET', '/transaction/verify/x')).status).toBe(404);
  });

  it('works over HTTP: faults, pay with another amount, requests, webhooks', async () => {
    const post = (path: string, body: unknown) =>
      fetch(`${sandbox.url}/_control${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const { reference } = await initialize({ currency: 'NGN' });

    expect((await post('/faults', { path: '/transaction/verify', times: 1, status: 502 })).status).toBe(200);
    expect((await api('GET', `/transaction/verify/${reference}`)).status).toBe(502);
    expect((await api('GET', `/transaction/verify/${reference}`)).status).toBe(200);

    const paid = await post(`/transactions/${reference}/pay`, { amount: '100', currency: 'USD' });
    expect(paid.status).toBe(200);
    expect(((await paid.json()) as { transaction: unknown }).transaction).toMatchObject({
      amount: 100,
      requested_amount: 50_000,
      currency: 'USD',
      status: 'success',
    });
    const again = await post(`/transactions/${reference}/pay`, {});
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ error: { code: 'transaction_completed' } });
    expect((await post('/transactions/nope/decline', {})).status).toBe(404);

    await sandbox.control.settled();
    const hooks = (await (await fetch(`${sandbox.url}/_control/webhooks`)).json()) as { webhooks: unknown[] };
    expect(hooks.webhooks).toMatchObject([{ event: 'charge.success', reference, state: 'delivered' }]);
    const requests = (await (await fetch(`${sandbox.url}/_control/requests`)).json()) as {
      requests: unknown[];
    };
    expect(requests.requests).toMatchObject([
      { method: 'POST', path: '/transaction/initialize', fault: null },
      { method: 'GET', path: `/transaction/verify/${reference}`, fault: 'error' },
      { method: 'GET', path: `/transaction/verify/${reference}`, fault: null },
    ]);
  });

  it('refuse closes the socket', async () => {
    sandbox.control.failNext({ path: '/transaction/verify', mode: 'refuse' });
    await expect(api('GET', '/transaction/verify/x')).rejects.toThrow(/fetch failed/);
    expect((await api('GET', '/transaction/verify/x')).status).toBe(404);
  });

  it('close() returns promptly with a hanging request and pending webhook retries', async () => {
    const local = await startPaystackSandbox({
      secretKey: SECRET,
      webhookUrl: receiver.url,
      webhookRetryDelaysMs: [60_000],
    });
    receiver.respondWith(500);
    const init = await fetch(`${local.url}/transaction/initialize`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'z@example.com', amount: 100 }),
    });
    const { data } = (await init.json()) as { data: { reference: string } };
    local.control.pay(data.reference);
    local.control.failNext({ path: '/transaction/verify', mode: 'hang', hangMs: 60_000 });
    const hanging = fetch(`${local.url}/transaction/verify/${data.reference}`, { headers: auth }).catch(
      (e: unknown) => e,
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();
    await local.close();
    expect(Date.now() - started).toBeLessThan(2000);
    await hanging;
  });
});
