import { describe, expect, it } from 'vitest';
import { createPaystackClient } from './client.js';
import { verifyWebhookSignature } from './signature.js';
import { parseWebhookEvent } from './webhook.js';
import {
  usePaystackSandbox,
  SECRET,
  sandbox,
  receiver,
  client,
  newReference,
  caught,
  formActions,
} from './client.suite.js';

usePaystackSandbox();

describe('Paystack client against the sandbox', () => {
  it('initializes, pays through the checkout page, receives a signed charge.success, verifies success', async () => {
    const paystack = client();
    const reference = newReference();
    const init = await paystack.initializeTransaction({
      email: 'ada@example.com',
      amountMinor: 150_000,
      currency: 'NGN',
      reference,
      callbackUrl: 'https://app.example/wallet/top-up/return?from=paystack',
      metadata: { topUpId: 'tu_1' },
    });
    expect(init.reference).toBe(reference);
    expect(init.authorizationUrl).toBe(`${sandbox.url}/checkout/${init.accessCode}`);

    const before = await paystack.verifyTransaction(reference);
    expect(before.status).toBe('abandoned');
    expect(before.paidAt).toBeNull();

    const page = await fetch(init.authorizationUrl);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const html = await page.text();
    expect(html).toContain('ada@example.com');
    expect(html).toContain('NGN 1,500.00');
    expect(html).not.toContain('<script');
    const [payAction, declineAction] = formActions(html, init.authorizationUrl);
    expect(payAction).toMatch(/\/pay$/);
    expect(declineAction).toMatch(/\/decline$/);
    expect(html).toMatch(/>Pay<\/button>/);
    expect(html).toMatch(/>Decline<\/button>/);

    const already = receiver.received.length;
    const paid = await fetch(payAction ?? '', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'action=pay',
      redirect: 'manual',
    });
    expect(paid.status).toBe(302);
    const location = new URL(paid.headers.get('location') ?? '');
    expect(location.origin + location.pathname).toBe('https://app.example/wallet/top-up/return');
    expect(location.searchParams.get('from')).toBe('paystack');
    expect(location.searchParams.get('trxref')).toBe(reference);
    expect(location.searchParams.get('reference')).toBe(reference);

    const [hook] = (await receiver.waitFor(already + 1)).slice(already);
    expect(hook?.headers['content-type']).toBe('application/json');
    expect(verifyWebhookSignature(hook?.rawBody ?? '', hook?.headers['x-paystack-signature'], SECRET)).toBe(
      true,
    );
    expect(
      verifyWebhookSignature(hook?.rawBody ?? '', hook?.headers['x-paystack-signature'], 'sk_test_other'),
    ).toBe(false);
    const event = parseWebhookEvent(hook?.rawBody ?? '');
    expect(event).toMatchObject({
      event: 'charge.success',
      reference,
      amountMinor: 150_000,
      currency: 'NGN',
      status: 'success',
    });
    expect(event.data.metadata).toEqual({ topUpId: 'tu_1' });

    const verified = await paystack.verifyTransaction(reference);
    expect(verified).toMatchObject({
      status: 'success',
      reference,
      amountMinor: 150_000,
      requestedAmountMinor: 150_000,
      currency: 'NGN',
      gatewayResponse: 'Successful',
      customerEmail: 'ada@example.com',
      metadata: { topUpId: 'tu_1' },
    });
    expect(verified.paidAt).toEqual(expect.any(String));
    expect(Number.isSafeInteger(verified.id)).toBe(true);
    expect(await paystack.getTransaction(verified.id)).toMatchObject({ reference, status: 'success' });

    // The authorization URL is single-use.
    const reused = await fetch(init.authorizationUrl);
    expect(reused.status).toBe(410);
    expect(await reused.text()).toContain('no longer valid');
    const payAgain = await fetch(payAction ?? '', { method: 'POST', redirect: 'manual' });
    expect(payAgain.status).toBe(410);
    await sandbox.control.settled();
    expect(sandbox.control.webhooks().filter((w) => w.reference === reference)).toHaveLength(1);
  });

  it('declines: verify says failed and no charge.success is sent', async () => {
    const paystack = client();
    const reference = newReference();
    const init = await paystack.initializeTransaction({
      email: 'bob@example.com',
      amountMinor: 5000,
      currency: 'USD',
      reference,
      callbackUrl: 'https://app.example/return',
    });
    const html = await (await fetch(init.authorizationUrl)).text();
    const declineAction = formActions(html, init.authorizationUrl)[1] ?? '';
    const declined = await fetch(declineAction, { method: 'POST', redirect: 'manual' });
    expect(declined.status).toBe(302);
    expect(new URL(declined.headers.get('location') ?? '').searchParams.get('reference')).toBe(reference);

    const verified = await paystack.verifyTransaction(reference);
    expect(verified.status).toBe('failed');
    expect(verified.paidAt).toBeNull();
    await sandbox.control.settled();
    expect(sandbox.control.webhooks().filter((w) => w.reference === reference)).toEqual([]);
    expect(receiver.received.some((r) => r.rawBody.toString().includes(reference))).toBe(false);
  });

  it('verify of an unknown reference is a typed not_found (not retried)', async () => {
    const before = sandbox.control.requests({ path: '/transaction/verify/nope-' }).length;
    const error = await caught(client().verifyTransaction('nope-123'));
    expect(error.kind).toBe('not_found');
    expect(error.status).toBe(404);
    expect(sandbox.control.requests({ path: '/transaction/verify/nope-' }).length - before).toBe(1);
  });

  it('an invalid key is a typed invalid_key error', async () => {
    const error = await caught(client({ secretKey: 'sk_test_wrong' }).verifyTransaction('whatever'));
    expect(error.kind).toBe('invalid_key');
    expect(error.status).toBe(401);
    expect(error.message).toBe('Invalid key');
  });

  it('a duplicate reference is a typed duplicate_reference error', async () => {
    const paystack = client();
    const input = {
      email: 'c@example.com',
      amountMinor: 1000,
      currency: 'GHS' as const,
      reference: newReference(),
      callbackUrl: 'https://app.example/return',
    };
    await paystack.initializeTransaction(input);
    const error = await caught(paystack.initializeTransaction(input));
    expect(error.kind).toBe('duplicate_reference');
    expect(error.code).toBe('duplicate_reference');
    expect(error.type).toBe('validation_error');
    expect(error.ambiguous).toBe(false);
  });
});

describe('Paystack client against the sandbox', () => {
  it('pays a different amount via control: verify reports the charged amount and the requested one', async () => {
    const paystack = client();
    const reference = newReference();
    await paystack.initializeTransaction({
      email: 'j@example.com',
      amountMinor: 100_000,
      currency: 'NGN',
      reference,
      callbackUrl: 'https://app.example/return',
    });
    sandbox.control.pay(reference, { amountMinor: 100, currency: 'usd' });
    const verified = await paystack.verifyTransaction(reference);
    expect(verified).toMatchObject({
      status: 'success',
      amountMinor: 100,
      requestedAmountMinor: 100_000,
      currency: 'USD',
    });
  });

  it('refunds a paid transaction in full; it is processed and the transaction becomes reversed', async () => {
    const paystack = client();
    const reference = newReference();
    await paystack.initializeTransaction({
      email: 'k@example.com',
      amountMinor: 40_000,
      currency: 'NGN',
      reference,
      callbackUrl: 'https://app.example/return',
    });
    sandbox.control.pay(reference);
    const partial = await paystack.refund({
      transaction: reference,
      amountMinor: 10_000,
      merchantNote: 'partial',
    });
    expect(partial).toMatchObject({
      status: 'pending',
      amountMinor: 10_000,
      currency: 'NGN',
      transactionReference: reference,
    });
    const rest = await paystack.refund({ transaction: (await paystack.verifyTransaction(reference)).id });
    expect(rest.amountMinor).toBe(30_000);
    const tooMuch = await caught(paystack.refund({ transaction: reference, amountMinor: 1 }));
    expect(tooMuch.kind).toBe('validation');

    sandbox.control.processRefund(partial.id);
    sandbox.control.processRefund(rest.id);
    expect(await paystack.getRefund(rest.id)).toMatchObject({
      id: rest.id,
      status: 'processed',
      amountMinor: 30_000,
    });
    expect((await paystack.verifyTransaction(reference)).status).toBe('reversed');
    await sandbox.control.settled();
    const refundEvents = sandbox.control
      .webhooks()
      .filter((w) => w.reference === reference && w.event?.startsWith('refund.'))
      .map((w) => parseWebhookEvent(w.body));
    expect(refundEvents.map((e) => e.event).sort()).toEqual([
      'refund.pending',
      'refund.pending',
      'refund.processed',
      'refund.processed',
    ]);
    expect(refundEvents.every((e) => typeof e.data.amount === 'string' && e.amountMinor !== null)).toBe(true);
  });

  it('refund of an unpaid transaction is a validation error, of an unknown one not_found', async () => {
    const paystack = client();
    const reference = newReference();
    await paystack.initializeTransaction({
      email: 'l@example.com',
      amountMinor: 1000,
      currency: 'NGN',
      reference,
      callbackUrl: 'https://app.example/return',
    });
    expect((await caught(paystack.refund({ transaction: reference }))).kind).toBe('validation');
    expect((await caught(paystack.refund({ transaction: 'missing-ref' }))).kind).toBe('not_found');
    expect((await caught(paystack.getRefund(1))).kind).toBe('not_found');
  });

  it('parses amounts given as strings to integers', async () => {
    const fakeFetch: typeof fetch = async () =>
      new Response(
        JSON.stringify({
          status: true,
          message: 'Verification successful',
          data: {
            id: '4099260516',
            status: 'success',
            reference: 'r1',
            amount: '20000',
            currency: 'ngn',
            paid_at: null,
          },
        }),
        { status: 200, headers: { 'content-type': 'application/json' } },
      );
    const verified = await createPaystackClient({
      baseUrl: 'https://api.paystack.co',
      secretKey: SECRET,
      fetch: fakeFetch,
    }).verifyTransaction('r1');
    expect(verified).toMatchObject({
      id: 4099260516,
      amountMinor: 20000,
      currency: 'NGN',
      status: 'success',
    });
  });

  it('accepts the 400 "Transaction reference not found" variant as not_found', async () => {
    const fakeFetch: typeof fetch = async () =>
      new Response(JSON.stringify({ status: false, message: 'Transaction reference not found' }), {
        status: 400,
      });
    const error = await caught(
      createPaystackClient({
        baseUrl: 'https://api.paystack.co',
        secretKey: SECRET,
        fetch: fakeFetch,
      }).verifyTransaction('x'),
    );
    expect(error.kind).toBe('not_found');
  });

  it('refuses fractional or non-positive amounts before sending', async () => {
    const error = await caught(
      client().initializeTransaction({
        email: 'm@example.com',
        amountMinor: 10.5,
        currency: 'NGN',
        reference: newReference(),
        callbackUrl: 'https://app.example/return',
      }),
    );
    expect(error.kind).toBe('validation');
  });
});
