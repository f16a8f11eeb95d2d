import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { asPrincipal, testPrincipal } from '../../../test/support/principal.js';
import { fundWallet } from '../../../test/support/wallet.js';
import type { Principal } from '../../platform/http/principal.js';
import { app, sandbox, testDb, useProviderApp } from './provider-app.suite.js';
import * as store from './store.js';
import type { VerificationView } from './views.js';

useProviderApp('whsec_verification_events');

/** A real payg account with money and a webhook endpoint taking every event. */
async function developer(): Promise<Principal> {
  const user = await app.services.accounts.createUser({
    email: `${randomUUID().slice(0, 12)}@example.test`,
    password: 'a long enough password',
  });
  await app.services.accounts.setUserTier(user!.id, 'payg');
  await fundWallet(testDb.database.db, user!.id, 1_000);
  await app.services.webhooks.createEndpoint({
    userId: user!.id,
    tier: 'payg',
    url: 'http://127.0.0.1:9/hook',
    events: ['*'],
  });
  return testPrincipal({ userId: user!.id, email: user!.email, tier: 'payg' });
}

async function bought(principal: Principal): Promise<VerificationView> {
  const response = await app.inject({
    method: 'POST',
    url: '/api/v1/verifications',
    headers: asPrincipal(principal),
    payload: { service: 'whatsapp', country: 'US' },
  });
  expect(response.statusCode, response.body).toBe(201);
  return response.json<VerificationView>();
}

/** The user's outbox: each event's type and data, with how many deliveries it has, oldest first. */
async function eventsOf(userId: string) {
  const { rows } = await testDb.database.sql.query(
    `select e.type, e.data, count(d.id)::int as deliveries from webhook_events e
       left join webhook_deliveries d on d.event_id = e.id
      where e.user_id = $1 group by e.id order by e.created_at, e.id`,
    [userId],
  );
  return rows as Array<{ type: string; data: Record<string, unknown>; deliveries: number }>;
}

describe('verification webhook events', () => {
  it('created on purchase, then completed with the code when the SMS is taken in', async () => {
    const user = await developer();
    const view = await bought(user);
    const providerId = (await store.findById(testDb.database.db, view.id))!.providerId!;
    sandbox.control.deliverSms(providerId, { code: '482913', text: 'Your WhatsApp code is 482-913' });
    await app.services.verifications.pollVerification({ provider: 'textverified', providerId });

    const events = await eventsOf(user.userId);
    expect(events.map((e) => e.type)).toEqual(['verification.created', 'verification.completed']);
    expect(events.every((e) => e.deliveries === 1)).toBe(true);
    expect(events[1]!.data).toMatchObject({
      id: view.id,
      status: 'completed',
      service: 'whatsapp',
      phoneNumber: view.phoneNumber,
      price: view.price,
      code: '482913',
    });
  });

  it('canceled with the refund', async () => {
    const user = await developer();
    const view = await bought(user);
    const response = await app.inject({
      method: 'POST',
      url: `/api/v1/verifications/${view.id}/cancel`,
      headers: asPrincipal(user),
    });
    expect(response.statusCode, response.body).toBe(200);
    const events = await eventsOf(user.userId);
    expect(events.map((e) => e.type)).toEqual(['verification.created', 'verification.canceled']);
    expect(events[1]!.data).toMatchObject({ id: view.id, status: 'canceled', code: null });
  });

  it('failed when the provider refuses the purchase', async () => {
    const user = await developer();
    sandbox.control.setStock('whatsapp', 0);
    try {
      const response = await app.inject({
        method: 'POST',
        url: '/api/v1/verifications',
        headers: asPrincipal(user),
        payload: { service: 'whatsapp', country: 'US' },
      });
      expect(response.statusCode).toBeGreaterThanOrEqual(400);
    } finally {
      sandbox.control.setStock('whatsapp', 1_000);
    }
    const events = await eventsOf(user.userId);
    expect(events.map((e) => e.type)).toEqual(['verification.created', 'verification.failed']);
    expect(events[1]!.data).toMatchObject({ status: 'failed' });
  });

  it('expired by the sweep', async () => {
    const user = await developer();
    const view = await bought(user);
    const endsAt = new Date(view.expiresAt!);
    await app.services.verifications.sweepExpired({ now: new Date(endsAt.getTime() + 1_000) });
    const events = await eventsOf(user.userId);
    expect(events.map((e) => e.type)).toEqual(['verification.created', 'verification.expired']);
    expect(events[1]!.data).toMatchObject({ id: view.id, status: 'expired' });
  });

  it('a reuse is announced as its own order: created, then completed, linked to the original', async () => {
    const user = await developer();
    const view = await bought(user);
    const providerId = (await store.findById(testDb.database.db, view.id))!.providerId!;
    sandbox.control.deliverSms(providerId, { code: '482913' });
    await app.services.verifications.pollVerification({ provider: 'textverified', providerId });
    const response = await app.inject({
      method: 'POST',
      url: `/api/v1/verifications/${view.id}/reuse`,
      headers: asPrincipal(user),
    });
    expect(response.statusCode, response.body).toBe(201);
    const again = response.json<VerificationView>();
    const againProviderId = (await store.findById(testDb.database.db, again.id))!.providerId!;
    sandbox.control.deliverSms(againProviderId, { code: '135790' });
    await app.services.verifications.pollVerification({
      provider: 'textverified',
      providerId: againProviderId,
    });

    const events = (await eventsOf(user.userId)).filter((e) => e.data.id === again.id);
    expect(events.map((e) => e.type)).toEqual(['verification.created', 'verification.completed']);
    expect(events[1]!.data).toMatchObject({
      status: 'completed',
      phoneNumber: view.phoneNumber,
      code: '135790',
      reusedFrom: view.id,
      renewal: 'reuse',
    });
  });

  it('created with the order, and only once, when the same Idempotency-Key buys again', async () => {
    const user = await developer();
    const input = { service: 'whatsapp', country: 'US' };
    const first = await app.services.verifications.purchase(user, input, { idempotencyKey: 'again-1' });
    const again = await app.services.verifications.purchase(user, input, { idempotencyKey: 'again-1' });
    expect(again.id).toBe(first.id);
    const events = await eventsOf(user.userId);
    expect(events.map((e) => e.type)).toEqual(['verification.created']);
    // The event carries the order as opened: pending, with what its hold is in.
    expect(events[0]!.data).toMatchObject({
      id: first.id,
      status: 'pending',
      service: 'whatsapp',
      price: first.price,
    });
  });

  it('nothing is written for endpoints that do not take the event, or are disabled', async () => {
    const user = await developer();
    const [endpoint] = await app.services.webhooks.listEndpoints(user.userId);
    await app.services.webhooks.updateEndpoint(user.userId, 'payg', endpoint!.id, {
      events: ['verification.completed'],
    });
    await bought(user);
    const other = await developer();
    const [otherEndpoint] = await app.services.webhooks.listEndpoints(other.userId);
    await app.services.webhooks.updateEndpoint(other.userId, 'payg', otherEndpoint!.id, { enabled: false });
    await bought(other);
    expect(await eventsOf(user.userId)).toEqual([]);
    expect(await eventsOf(other.userId)).toEqual([]);
  });

  it('an instance with no TextVerified webhook secret answers its webhooks 503, so the provider delivers again later', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/hooks/textverified',
      headers: { 'content-type': 'application/json', 'x-webhook-signature': 'v1=forged' },
      payload: JSON.stringify({ type: 'sms.received', data: { reservationId: 'r-1', text: 'code 123456' } }),
    });
    expect(response.statusCode).toBe(503);
    expect(response.json<{ error: { code: string } }>().error.code).toBe('service_unavailable');
  });
});
