import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createTestApp } from '../../../test/support/app.js';
import { asPrincipal, trustTestPrincipalHeader } from '../../../test/support/principal.js';
import { useWebhooksTestbed } from '../../../test/support/webhooks.js';
import type { LookupAll } from '../../platform/net/outbound-url.js';
import * as store from './store.js';

const tb = useWebhooksTestbed();

describe('the SSRF guard', () => {
  const refused = [
    ['loopback', 'http://127.0.0.1:9/hook'],
    ['private 10/8', 'http://10.0.0.5/hook'],
    ['private 172.16/12', 'http://172.16.3.4/hook'],
    ['private 192.168/16', 'http://192.168.1.1/hook'],
    ['link-local', 'http://169.254.10.10/hook'],
    ['metadata', 'http://169.254.169.254/latest/meta-data/'],
  ] as const;

  it.each(refused)('refuses a %s address at creation without the local-use flag', async (_kind, url) => {
    const strict = await createTestApp({ database: tb.database() });
    trustTestPrincipalHeader(strict);
    try {
      const user = await tb.newUser();
      const response = await strict.inject({
        method: 'POST',
        url: '/api/v1/webhook-endpoints',
        headers: asPrincipal(user),
        payload: { url, events: ['*'] },
      });
      expect(response.statusCode).toBe(400);
      expect(response.json().error.code).toBe('unsafe_url');
    } finally {
      await strict.close();
    }
  });

  it('accepts private addresses with the local-use flag, but never the metadata address', async () => {
    const user = await tb.newUser();
    await tb.createEndpoint(user, 'http://10.0.0.5/hook');
    const metadata = await tb.app.inject({
      method: 'POST',
      url: '/api/v1/webhook-endpoints',
      headers: asPrincipal(user),
      payload: { url: 'http://169.254.169.254/latest/meta-data/', events: ['*'] },
    });
    expect(metadata.statusCode).toBe(400);
    expect(metadata.json().error.code).toBe('unsafe_url');
  });

  /** A name that resolves to a public address when the endpoint is saved and to `later` afterwards. */
  function rebinding(later: string): LookupAll {
    let calls = 0;
    return async () => {
      calls += 1;
      return [
        calls === 1
          ? { address: '93.184.216.34', family: 4 }
          : { address: later, family: later.includes(':') ? 6 : 4 },
      ];
    };
  }

  it.each(refused.map(([kind, url]) => [kind, new URL(url).hostname] as const))(
    'refuses at send time a name that rebinds to a %s address after creation (%s)',
    async (_kind, address) => {
      const user = await tb.newUser();
      const strict = tb.serviceWith({
        outbound: { allowPrivate: false, requireHttps: false },
        lookup: rebinding(address),
      });
      const endpoint = await strict.createEndpoint({
        userId: user.userId,
        tier: user.tier,
        url: `http://hooks.example.test:${tb.receiver.port}/rebound`,
        events: ['*'],
      });
      await tb.emit(user.userId);
      expect(await strict.deliverDue()).toBe(1);
      const [delivery] = (await tb.deliveriesOf(user, endpoint.id)).data;
      expect(delivery!.lastError).toBe('unsafe_url: address_not_allowed');
      expect(tb.receiver.received).toEqual([]);
      await tb
        .db()
        .execute(sql`update webhook_deliveries set status = 'failed' where endpoint_id = ${endpoint.id}`);
    },
  );

  it('with the local-use flag, sends to a name that resolves to loopback (the address it checked)', async () => {
    const user = await tb.newUser();
    const local = tb.serviceWith({ lookup: rebinding('127.0.0.1') });
    const endpoint = await local.createEndpoint({
      userId: user.userId,
      tier: user.tier,
      url: `http://hooks.example.test:${tb.receiver.port}/local`,
      events: ['*'],
    });
    await tb.emit(user.userId);
    await local.deliverDue();
    expect((await tb.deliveriesOf(user, endpoint.id)).data[0]!.status).toBe('succeeded');
    expect(tb.receiver.received.map((r) => [r.path, r.headers.host])).toEqual([
      ['/local', `hooks.example.test:${tb.receiver.port}`],
    ]);
  });
});

describe('access', () => {
  it('needs a plan with webhooks: freemium is refused with tier_required, payg is not', async () => {
    const freemium = await tb.newUser('freemium');
    const refusedCreate = await tb.app.inject({
      method: 'POST',
      url: '/api/v1/webhook-endpoints',
      headers: asPrincipal(freemium),
      payload: { url: `${tb.receiver.base}/x`, events: ['*'] },
    });
    expect(refusedCreate.statusCode).toBe(403);
    expect(refusedCreate.json().error.code).toBe('tier_required');
    await tb.createEndpoint(await tb.newUser('payg'), `${tb.receiver.base}/x`);
  });

  it("answers 404 for another user's endpoint and delivery, and never lists them", async () => {
    const owner = await tb.newUser();
    const other = await tb.newUser();
    const endpoint = await tb.createEndpoint(owner, `${tb.receiver.base}/mine`);
    await tb.emit(owner.userId);
    await tb.app.services.webhooks.deliverDue();
    const [delivery] = (await tb.deliveriesOf(owner, endpoint.id)).data;
    const as = asPrincipal(other);
    const attempts = [
      {
        method: 'PATCH' as const,
        url: `/api/v1/webhook-endpoints/${endpoint.id}`,
        payload: { enabled: false },
      },
      { method: 'DELETE' as const, url: `/api/v1/webhook-endpoints/${endpoint.id}` },
      { method: 'POST' as const, url: `/api/v1/webhook-endpoints/${endpoint.id}/test` },
      { method: 'POST' as const, url: `/api/v1/webhook-endpoints/${endpoint.id}/rotate-secret` },
      { method: 'GET' as const, url: `/api/v1/webhook-endpoints/${endpoint.id}/deliveries` },
      { method: 'POST' as const, url: `/api/v1/webhook-deliveries/${delivery!.id}/redeliver` },
    ];
    for (const request of attempts) {
      const response = await tb.app.inject({ ...request, headers: as });
      expect(response.statusCode, `${request.method} ${request.url}`).toBe(404);
    }
    const list = await tb.app.inject({ url: '/api/v1/webhook-endpoints', headers: as });
    expect(list.json().data).toEqual([]);
    expect(tb.receiver.received).toHaveLength(1);
    const still = await tb.app.inject({ url: '/api/v1/webhook-endpoints', headers: asPrincipal(owner) });
    expect(still.json().data[0]).toMatchObject({ id: endpoint.id, enabled: true });
  });

  it('lets an API key read with webhooks:read and change only with webhooks:write', async () => {
    const user = await tb.newUser();
    const reader = { ...user, via: 'api_key' as const, apiKeyId: randomUUID(), scopes: ['webhooks:read'] };
    expect(
      (await tb.app.inject({ url: '/api/v1/webhook-endpoints', headers: asPrincipal(reader) })).statusCode,
    ).toBe(200);
    const write = await tb.app.inject({
      method: 'POST',
      url: '/api/v1/webhook-endpoints',
      headers: asPrincipal(reader),
      payload: { url: `${tb.receiver.base}/k`, events: ['*'] },
    });
    expect(write.statusCode).toBe(403);
    expect(write.json().error.code).toBe('forbidden');
    const writer = { ...reader, scopes: ['webhooks:write'] };
    const created = await tb.app.inject({
      method: 'POST',
      url: '/api/v1/webhook-endpoints',
      headers: asPrincipal(writer),
      payload: { url: `${tb.receiver.base}/k`, events: ['*'] },
    });
    expect(created.statusCode, created.body).toBe(201);
  });

  it('re-enables a disabled endpoint on PATCH and starts its failure count afresh', async () => {
    const user = await tb.newUser();
    const endpoint = await tb.createEndpoint(user, `${tb.receiver.base}/back`);
    await tb
      .db()
      .execute(
        sql`update webhook_endpoints set enabled = false, disabled_reason = 'x', consecutive_failures = 20 where id = ${endpoint.id}`,
      );
    const patched = await tb.app.inject({
      method: 'PATCH',
      url: `/api/v1/webhook-endpoints/${endpoint.id}`,
      headers: asPrincipal(user),
      payload: { enabled: true, events: ['verification.completed'] },
    });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json()).toMatchObject({
      enabled: true,
      disabledReason: null,
      events: ['verification.completed'],
    });
    expect((await store.endpointById(tb.db(), endpoint.id))!.consecutiveFailures).toBe(0);
  });
});
