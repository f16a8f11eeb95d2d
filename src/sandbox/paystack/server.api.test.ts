import { describe, expect, it } from 'vitest';
import { useSandbox, SECRET, auth, sandbox, api, initialize } from './server.suite.js';

useSandbox();

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
