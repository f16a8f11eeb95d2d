import { describe, expect, it } from 'vitest';
import { startPaystackSandbox } from './server.js';
import { useSandbox, SECRET, auth, sandbox, receiver, api, initialize, sign } from './server.suite.js';

useSandbox();

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
