import { describe, expect, it } from 'vitest';
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
} from './client.suite.js';

usePaystackSandbox();

async function paidTransaction(amountMinor: number) {
  const paystack = client();
  const reference = newReference();
  await paystack.initializeTransaction({
    email: 'dispute@example.com',
    amountMinor,
    currency: 'NGN',
    reference,
    callbackUrl: 'https://app.example/return',
  });
  sandbox.control.pay(reference, { sendWebhook: false });
  return { paystack, reference };
}

/** The signed events the receiver got for `reference`, parsed, in arrival order. */
function eventsFor(reference: string, prefix: string) {
  return receiver.received
    .filter((hook) => verifyWebhookSignature(hook.rawBody, hook.headers['x-paystack-signature'], SECRET))
    .map((hook) => parseWebhookEvent(hook.rawBody))
    .filter((event) => event.event.startsWith(prefix))
    .filter((event) => {
      const tx = event.data.transaction as { reference?: unknown } | undefined;
      return event.reference === reference || tx?.reference === reference;
    });
}

describe('Paystack disputes and failed refunds, against the sandbox', () => {
  it('a dispute is opened, fetched, reminded and resolved, each with its signed event', async () => {
    const { paystack, reference } = await paidTransaction(50_000);
    const opened = sandbox.control.openDispute(reference, { amountMinor: 20_000 });
    const id = Number(opened.id);
    const fetched = await paystack.getDispute(id);
    expect(fetched).toMatchObject({
      id,
      status: 'awaiting-merchant-feedback',
      resolution: null,
      refundAmountMinor: 20_000,
      currency: 'NGN',
      transactionReference: reference,
      transactionAmountMinor: 50_000,
    });
    await sandbox.control.remindDispute(id);
    sandbox.control.resolveDispute(id, 'merchant-accepted', { refundAmountMinor: 15_000 });
    expect(await paystack.getDispute(id)).toMatchObject({
      status: 'resolved',
      resolution: 'merchant-accepted',
      refundAmountMinor: 15_000,
    });
    await sandbox.control.settled();
    const events = eventsFor(reference, 'charge.dispute.');
    expect(events.map((e) => e.event)).toEqual([
      'charge.dispute.create',
      'charge.dispute.remind',
      'charge.dispute.resolve',
    ]);
    expect(events.every((e) => e.id === String(id))).toBe(true);
    // A resolved dispute cannot be resolved again; an unknown one is not found.
    expect(() => sandbox.control.resolveDispute(id, 'declined')).toThrow(/already resolved/);
    expect((await caught(paystack.getDispute(1))).kind).toBe('not_found');
  });

  it('disputes only paid transactions, never above their amount', async () => {
    const { reference } = await paidTransaction(10_000);
    expect(() => sandbox.control.openDispute(reference, { amountMinor: 10_001 })).toThrow(/amount/);
    const unpaid = newReference();
    await client().initializeTransaction({
      email: 'u@example.com',
      amountMinor: 1000,
      currency: 'NGN',
      reference: unpaid,
      callbackUrl: 'https://app.example/return',
    });
    expect(() => sandbox.control.openDispute(unpaid)).toThrow(/paid/);
  });

  it('a failed refund sends refund.failed and makes its amount refundable again; events can be replayed', async () => {
    const { paystack, reference } = await paidTransaction(30_000);
    const refund = await paystack.refund({ transaction: reference });
    sandbox.control.failRefund(refund.id);
    expect(await paystack.getRefund(refund.id)).toMatchObject({ status: 'failed' });
    expect(() => sandbox.control.failRefund(refund.id)).toThrow(/already failed/);
    const again = await paystack.refund({ transaction: reference });
    expect(again.amountMinor).toBe(30_000);
    const replays = await sandbox.control.resendRefundWebhook(refund.id, 3);
    expect(replays.map((d) => d.event)).toEqual(['refund.failed', 'refund.failed', 'refund.failed']);
    await sandbox.control.settled();
    const ofFailed = eventsFor(reference, 'refund.').filter((e) => e.id === String(refund.id));
    expect(ofFailed.map((e) => e.event).sort()).toEqual([
      'refund.failed',
      'refund.failed',
      'refund.failed',
      'refund.failed',
      'refund.pending',
    ]);
  });

  it('the control routes over HTTP open, resolve and replay disputes and fail refunds', async () => {
    const { paystack, reference } = await paidTransaction(8_000);
    const post = async (path: string, body: unknown = {}) => {
      const response = await fetch(`${sandbox.url}/_control${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: response.status, json: (await response.json()) as Record<string, unknown> };
    };
    const opened = await post(`/transactions/${reference}/disputes`, { amount: 8_000 });
    expect(opened.status).toBe(200);
    const id = (opened.json.dispute as { id: number }).id;
    expect((await post(`/disputes/${id}/resolve`, { resolution: 'maybe' })).status).toBe(400);
    expect((await post(`/disputes/${id}/remind`)).status).toBe(200);
    const resolved = await post(`/disputes/${id}/resolve`, { resolution: 'declined' });
    expect(resolved.json.dispute).toMatchObject({ status: 'resolved', resolution: 'declined' });
    const replayed = await post(`/disputes/${id}/webhooks`, { times: 2 });
    expect(replayed.json.deliveries).toHaveLength(2);
    expect((await post('/disputes/999/resolve', { resolution: 'declined' })).status).toBe(404);

    const refund = await paystack.refund({ transaction: reference, amountMinor: 1_000 });
    expect((await post(`/refunds/${refund.id}/fail`)).json.refund).toMatchObject({ status: 'failed' });
    expect((await post(`/refunds/${refund.id}/webhooks`, { times: 2 })).json.deliveries).toHaveLength(2);
    const listed = await fetch(
      `${sandbox.url}/dispute?transaction=${(await paystack.verifyTransaction(reference)).id}`,
      {
        headers: { authorization: `Bearer ${SECRET}` },
      },
    );
    expect(((await listed.json()) as { data: { id: number }[] }).data.map((d) => d.id)).toEqual([id]);
  });
});
