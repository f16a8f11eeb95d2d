import { createHmac, timingSafeEqual } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { eventually } from '../../../test/support/eventually.js';
import { asPrincipal } from '../../../test/support/principal.js';
import { useWebhooksTestbed } from '../../../test/support/webhooks.js';
import { emitEvent } from './index.js';
import * as store from './store.js';

/** The verifier of docs/webhooks.md, written from the docs alone. */
// prettier-ignore
function verifyNamaskahSignature(header: string, rawBody: string, secret: string, toleranceSeconds = 300) {
  const parts = header.split(',').map((part) => [part.slice(0, part.indexOf('=')), part.slice(part.indexOf('=') + 1)]);
  const t = Number(parts.find(([key]) => key === 't')?.[1]);
  const expected = Buffer.from(createHmac('sha256', secret).update(`${t}.${rawBody}`).digest('hex'));
  const matches = parts.some(([key, value]) => key === 'v1' && value!.length === expected.length && timingSafeEqual(Buffer.from(value!), expected));
  return matches && Math.abs(Date.now() / 1000 - t) <= toleranceSeconds;
}

const tb = useWebhooksTestbed();

describe('signing', () => {
  it('signs the documented way: the verifier written from the docs accepts it, a wrong secret does not', async () => {
    const user = await tb.newUser();
    const endpoint = await tb.createEndpoint(user, `${tb.receiver.base}/signed`);
    expect(endpoint.secret).toMatch(/^whsec_/);

    const test = await tb.app.inject({
      method: 'POST',
      url: `/api/v1/webhook-endpoints/${endpoint.id}/test`,
      headers: asPrincipal(user),
    });
    expect(test.statusCode, test.body).toBe(200);
    expect(test.json()).toMatchObject({ status: 'succeeded', attempts: 1, eventType: 'webhook.test' });

    expect(tb.receiver.received).toHaveLength(1);
    const [hit] = tb.receiver.received;
    const signature = String(hit!.headers['namaskah-signature']);
    expect(verifyNamaskahSignature(signature, hit!.body, endpoint.secret)).toBe(true);
    expect(verifyNamaskahSignature(signature, hit!.body, 'whsec_not-the-secret')).toBe(false);
    expect(verifyNamaskahSignature(signature, hit!.body.replace('test', 'tesT'), endpoint.secret)).toBe(
      false,
    );
    const body = JSON.parse(hit!.body);
    expect(Object.keys(body).sort()).toEqual(['createdAt', 'data', 'id', 'type']);
    expect(body.type).toBe('webhook.test');
    expect(hit!.headers['namaskah-event-id']).toBe(body.id);
    expect(hit!.headers['namaskah-event-type']).toBe('webhook.test');
    // The secret is shown at creation only.
    const list = await tb.app.inject({ url: '/api/v1/webhook-endpoints', headers: asPrincipal(user) });
    expect(list.body).not.toContain(endpoint.secret);
  });

  it('after a rotation signs with both secrets for the overlap, then with the new one only', async () => {
    const user = await tb.newUser();
    const endpoint = await tb.createEndpoint(user, `${tb.receiver.base}/rotated`);
    const rotated = await tb.app.inject({
      method: 'POST',
      url: `/api/v1/webhook-endpoints/${endpoint.id}/rotate-secret`,
      headers: asPrincipal(user),
    });
    expect(rotated.statusCode, rotated.body).toBe(200);
    const { secret: newSecret, previousSecretExpiresAt } = rotated.json<{
      secret: string;
      previousSecretExpiresAt: string;
    }>();
    expect(newSecret).not.toBe(endpoint.secret);
    expect(new Date(previousSecretExpiresAt).getTime() - Date.now()).toBeGreaterThan(23 * 3600 * 1000);

    const send = async () => {
      await tb.app.inject({
        method: 'POST',
        url: `/api/v1/webhook-endpoints/${endpoint.id}/test`,
        headers: asPrincipal(user),
      });
      const hit = tb.receiver.received.at(-1)!;
      return { header: String(hit.headers['namaskah-signature']), body: hit.body };
    };
    const during = await send();
    expect(during.header.match(/v1=/g)).toHaveLength(2);
    expect(verifyNamaskahSignature(during.header, during.body, newSecret)).toBe(true);
    expect(verifyNamaskahSignature(during.header, during.body, endpoint.secret)).toBe(true);

    await tb
      .db()
      .execute(
        sql`update webhook_endpoints set previous_secret_expires_at = now() - interval '1 second' where id = ${endpoint.id}`,
      );
    const after = await send();
    expect(after.header.match(/v1=/g)).toHaveLength(1);
    expect(verifyNamaskahSignature(after.header, after.body, newSecret)).toBe(true);
    expect(verifyNamaskahSignature(after.header, after.body, endpoint.secret)).toBe(false);
  });
});

describe('delivery', () => {
  it('retries a 500 and delivers on the 200, twice with the same event id, logging each attempt', async () => {
    const user = await tb.newUser();
    const endpoint = await tb.createEndpoint(user, `${tb.receiver.base}/flaky`);
    tb.receiver.answer('/flaky', (res) => res.writeHead(500).end('boom'));
    const { eventId, deliveryIds } = await tb.emit(user.userId);
    expect(deliveryIds).toHaveLength(1);

    expect(await tb.app.services.webhooks.deliverDue()).toBe(1);
    let [delivery] = (await tb.deliveriesOf(user, endpoint.id)).data;
    expect(delivery).toMatchObject({ status: 'pending', attempts: 1, lastError: 'HTTP 500' });
    expect(delivery!.log[0]).toMatchObject({ statusCode: 500, error: 'HTTP 500' });
    expect(new Date(delivery!.log[0]!.nextRetryAt!).getTime()).toBeGreaterThan(Date.now());
    // Not due yet: nothing is sent before the backoff delay.
    expect(await tb.app.services.webhooks.deliverDue()).toBe(0);

    await tb.makeDue(delivery!.id);
    expect(await tb.app.services.webhooks.deliverDue()).toBe(1);
    [delivery] = (await tb.deliveriesOf(user, endpoint.id)).data;
    expect(delivery).toMatchObject({ status: 'succeeded', attempts: 2, lastError: null });
    expect(delivery!.log.map((a) => a.statusCode)).toEqual([500, 200]);
    expect(delivery!.log[1]!.nextRetryAt).toBeNull();

    expect(tb.receiver.received.map((r) => r.path)).toEqual(['/flaky', '/flaky']);
    expect(tb.receiver.received.map((r) => r.headers['namaskah-event-id'])).toEqual([eventId, eventId]);
  });

  it('does not follow a redirect: the attempt fails and the Location is never fetched', async () => {
    const user = await tb.newUser();
    const endpoint = await tb.createEndpoint(user, `${tb.receiver.base}/moved`);
    tb.receiver.answer('/moved', (res) =>
      res.writeHead(302, { location: `${tb.receiver.base}/stolen` }).end(),
    );
    await tb.emit(user.userId);
    await tb.app.services.webhooks.deliverDue();
    const [delivery] = (await tb.deliveriesOf(user, endpoint.id)).data;
    expect(delivery).toMatchObject({ status: 'pending', lastError: 'redirect not followed (HTTP 302)' });
    expect(tb.receiver.received.map((r) => r.path)).toEqual(['/moved']);
  });

  it('times out a slow receiver', async () => {
    const user = await tb.newUser();
    const endpoint = await tb.createEndpoint(user, `${tb.receiver.base}/slow`);
    tb.receiver.answer('/slow', (res) => setTimeout(() => res.writeHead(200).end('late'), 3_000));
    await tb.emit(user.userId);
    const impatient = tb.serviceWith({ timeoutMs: 300 });
    const started = Date.now();
    expect(await impatient.deliverDue()).toBe(1);
    expect(Date.now() - started).toBeLessThan(2_500);
    const [delivery] = (await tb.deliveriesOf(user, endpoint.id)).data;
    expect(delivery!.status).toBe('pending');
    expect(delivery!.lastError).toMatch(/^timeout/);
    expect(delivery!.log[0]!.statusCode).toBeNull();
  });

  it('loses no event when a worker dies mid-delivery: the lease runs out and another worker sends it', async () => {
    const user = await tb.newUser();
    const endpoint = await tb.createEndpoint(user, `${tb.receiver.base}/crash`);
    const { eventId } = await tb.emit(user.userId);
    // The dying worker: claims the delivery (1 s lease) and never settles it.
    const [abandoned] = await store.claimDeliveries(tb.db(), { limit: 10, leaseSeconds: 1 });
    expect(abandoned!.eventId).toBe(eventId);
    // While the lease holds nobody else takes it.
    expect(await tb.app.services.webhooks.deliverDue()).toBe(0);

    await eventually(
      async () => ((await tb.app.services.webhooks.deliverDue()) > 0 ? true : undefined),
      10_000,
    );
    const [delivery] = (await tb.deliveriesOf(user, endpoint.id)).data;
    expect(delivery).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(tb.receiver.received.map((r) => r.headers['namaskah-event-id'])).toEqual([eventId]);
    // The dead worker, waking up late, cannot overwrite what the other one settled.
    expect(
      await store.settleDelivery(tb.db(), abandoned!.id, abandoned!.leaseToken, {
        status: 'failed',
        nextAttemptAt: null,
        lastStatusCode: null,
        lastError: 'late',
      }),
    ).toBe(false);
  });

  it('never sends an event whose transaction rolled back', async () => {
    const user = await tb.newUser();
    await tb.createEndpoint(user, `${tb.receiver.base}/rolled-back`);
    await expect(
      tb.db().transaction(async (tx) => {
        const emitted = await emitEvent(tx, {
          userId: user.userId,
          type: 'verification.completed',
          data: {},
        });
        expect(emitted.deliveryIds).toHaveLength(1);
        throw new Error('the state change failed');
      }),
    ).rejects.toThrow('the state change failed');
    expect(await tb.app.services.webhooks.deliverDue()).toBe(0);
    const events = await tb.db().execute(sql`select id from webhook_events where user_id = ${user.userId}`);
    expect((events as unknown as { rows: unknown[] }).rows).toEqual([]);
    expect(tb.receiver.received).toEqual([]);
  });

  it('sends only the event types an endpoint subscribes to', async () => {
    const user = await tb.newUser();
    const endpoint = await tb.createEndpoint(user, `${tb.receiver.base}/filtered`, [
      'wallet.topup.succeeded',
    ]);
    expect((await tb.emit(user.userId, 'verification.completed')).deliveryIds).toEqual([]);
    const { eventId } = await tb.emit(user.userId, 'wallet.topup.succeeded');
    await tb.app.services.webhooks.deliverDue();
    expect(tb.receiver.received.map((r) => r.headers['namaskah-event-id'])).toEqual([eventId]);
    expect((await tb.deliveriesOf(user, endpoint.id)).data).toHaveLength(1);
  });

  it('redelivers the same event (same id) at once, as a new entry in the log', async () => {
    const user = await tb.newUser();
    const endpoint = await tb.createEndpoint(user, `${tb.receiver.base}/again`);
    const { eventId } = await tb.emit(user.userId);
    await tb.app.services.webhooks.deliverDue();
    const [first] = (await tb.deliveriesOf(user, endpoint.id)).data;
    const again = await tb.app.inject({
      method: 'POST',
      url: `/api/v1/webhook-deliveries/${first!.id}/redeliver`,
      headers: asPrincipal(user),
    });
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json()).toMatchObject({ eventId, status: 'succeeded', attempts: 1 });
    expect(again.json().id).not.toBe(first!.id);
    expect(tb.receiver.received.map((r) => r.headers['namaskah-event-id'])).toEqual([eventId, eventId]);
  });

  it('pages the delivery log with a cursor', async () => {
    const user = await tb.newUser();
    const endpoint = await tb.createEndpoint(user, `${tb.receiver.base}/paged`);
    for (let i = 0; i < 3; i++) await tb.emit(user.userId);
    const page = async (query: string) =>
      (
        await tb.app.inject({
          url: `/api/v1/webhook-endpoints/${endpoint.id}/deliveries?${query}`,
          headers: asPrincipal(user),
        })
      ).json<{ data: Array<{ id: string }>; nextCursor: string | null }>();
    const first = await page('limit=2');
    expect(first.data).toHaveLength(2);
    expect(first.nextCursor).not.toBeNull();
    const second = await page(`limit=2&cursor=${first.nextCursor}`);
    expect(second.data).toHaveLength(1);
    expect(second.nextCursor).toBeNull();
    expect(new Set([...first.data, ...second.data].map((d) => d.id)).size).toBe(3);
    await tb
      .db()
      .execute(sql`update webhook_deliveries set status = 'failed' where endpoint_id = ${endpoint.id}`);
  });

  it('disables an endpoint failing for 72 hours and e-mails its owner; it then gets no events', async () => {
    const user = await tb.newUser();
    const endpoint = await tb.createEndpoint(user, `${tb.receiver.base}/down`);
    tb.receiver.answer('/down', (res) => res.writeHead(503).end());
    await tb
      .db()
      .execute(
        sql`update webhook_endpoints set consecutive_failures = 12, failing_since = now() - interval '73 hours' where id = ${endpoint.id}`,
      );
    await tb.emit(user.userId);
    await tb.app.services.webhooks.deliverDue();
    const list = await tb.app.inject({ url: '/api/v1/webhook-endpoints', headers: asPrincipal(user) });
    expect(list.json().data[0]).toMatchObject({ id: endpoint.id, enabled: false });
    expect(list.json().data[0].disabledReason).toContain('HTTP 503');
    const mail = await eventually(async () => tb.mails.find((m) => m.to === user.email));
    expect(mail.subject).toMatch(/webhook endpoint was disabled/);
    expect(mail.text).toContain(`${tb.receiver.base}/down`);
    expect((await tb.emit(user.userId)).deliveryIds).toEqual([]);
    await tb
      .db()
      .execute(sql`update webhook_deliveries set status = 'failed' where endpoint_id = ${endpoint.id}`);
  });
});
