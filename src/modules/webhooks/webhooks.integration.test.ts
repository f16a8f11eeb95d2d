import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type TestApp, createTestApp } from '../../../test/support/app.js';
import { type TestDatabase, createPostgresTestDatabase } from '../../../test/support/database.js';
import { eventually } from '../../../test/support/eventually.js';
import { asPrincipal, testPrincipal, trustTestPrincipalHeader } from '../../../test/support/principal.js';
import type { Principal } from '../../platform/http/principal.js';
import type { MailMessage } from '../../platform/mail/mailer.js';
import type { LookupAll } from '../../platform/net/outbound-url.js';
import { type WebhooksDeps, createWebhooksService, emitEvent } from './index.js';
import * as store from './store.js';

/** The verifier of docs/webhooks.md, written from the docs alone. */
function verifyNamaskahSignature(header: string, rawBody: string, secret: string, toleranceSeconds = 300) {
  const parts = header
    .split(',')
    .map((part) => [part.slice(0, part.indexOf('=')), part.slice(part.indexOf('=') + 1)]);
  const t = Number(parts.find(([key]) => key === 't')?.[1]);
  const expected = Buffer.from(createHmac('sha256', secret).update(`${t}.${rawBody}`).digest('hex'));
  const matches = parts.some(
    ([key, value]) =>
      key === 'v1' && value!.length === expected.length && timingSafeEqual(Buffer.from(value!), expected),
  );
  return matches && Math.abs(Date.now() / 1000 - t) <= toleranceSeconds;
}

interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}
type Behaviour = (res: http.ServerResponse) => void;

/** A local receiver: records every request; answers each path with its scripted behaviours in turn (200 after them). */
const received: Received[] = [];
const script = new Map<string, Behaviour[]>();
const receiver = http.createServer((req, res) => {
  let body = '';
  req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
  req.on('end', () => {
    const path = req.url ?? '/';
    received.push({ path, headers: req.headers, body });
    const next = script.get(path)?.shift();
    if (next) next(res);
    else res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
  });
});
let port: number;
let base: string;

let testDb: TestDatabase;
let app: TestApp;
const mails: MailMessage[] = [];
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

beforeAll(async () => {
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  port = (receiver.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
  testDb = await createPostgresTestDatabase(6);
  app = await createTestApp({
    database: testDb.database,
    env: { ALLOW_PRIVATE_WEBHOOK_TARGETS: 'true' },
    providers: {
      mailer: {
        send: async (message) => {
          mails.push(message);
          return { messageId: randomUUID(), accepted: [String(message.to)], rejected: [] };
        },
        verify: async () => undefined,
        close: () => undefined,
      },
    },
  });
  trustTestPrincipalHeader(app);
  await app.ready();
}, 60_000);

afterAll(async () => {
  await app?.close();
  await testDb?.dispose();
  receiver.closeAllConnections();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
});

beforeEach(() => {
  received.length = 0;
  script.clear();
});

const db = () => testDb.database.db;

/** A real account (endpoints belong to users) on `tier`, and the principal acting as it. */
async function newUser(tier = 'payg'): Promise<Principal> {
  const user = await app.services.accounts.createUser({
    email: `${randomUUID().slice(0, 12)}@example.test`,
    password: 'a long enough password',
  });
  await app.services.accounts.setUserTier(user!.id, tier);
  return testPrincipal({ userId: user!.id, email: user!.email, tier });
}

async function createEndpoint(principal: Principal, url: string, events: string[] = ['*']) {
  const response = await app.inject({
    method: 'POST',
    url: '/api/v1/webhook-endpoints',
    headers: asPrincipal(principal),
    payload: { url, events, description: 'test receiver' },
  });
  expect(response.statusCode, response.body).toBe(201);
  return response.json<{ id: string; secret: string; url: string }>();
}

/** A committed state change that emits `type` for the user. */
const emit = (
  userId: string,
  type: 'verification.completed' | 'wallet.topup.succeeded' = 'verification.completed',
) => db().transaction((tx) => emitEvent(tx, { userId, type, data: { verificationId: randomUUID() } }));

const deliveriesOf = async (principal: Principal, endpointId: string) => {
  const response = await app.inject({
    url: `/api/v1/webhook-endpoints/${endpointId}/deliveries`,
    headers: asPrincipal(principal),
  });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<{
    data: Array<{
      id: string;
      eventId: string;
      status: string;
      attempts: number;
      lastError: string | null;
      log: Array<{
        statusCode: number | null;
        error: string | null;
        nextRetryAt: string | null;
        durationMs: number;
      }>;
    }>;
    nextCursor: string | null;
  }>();
};

/** A service like the app's, with its own sender settings (resolver, deadline, policy). */
function serviceWith(overrides: Partial<WebhooksDeps>) {
  return createWebhooksService({
    db: testDb.database.db,
    tiers: app.services.tiers,
    accounts: app.services.accounts,
    mailer: undefined,
    jobs: undefined,
    logger: quiet,
    appSecret: app.platform.config.appSecret,
    publicUrl: app.platform.config.publicUrl,
    outbound: { allowPrivate: true, requireHttps: false },
    ...overrides,
  });
}

/** Makes a pending retry due now (stands for the backoff delay passing). */
const makeDue = (deliveryId: string) =>
  db().execute(sql`update webhook_deliveries set next_attempt_at = now() where id = ${deliveryId}`);

describe('signing', () => {
  it('signs the documented way: the verifier written from the docs accepts it, a wrong secret does not', async () => {
    const user = await newUser();
    const endpoint = await createEndpoint(user, `${base}/signed`);
    expect(endpoint.secret).toMatch(/^whsec_/);

    const test = await app.inject({
      method: 'POST',
      url: `/api/v1/webhook-endpoints/${endpoint.id}/test`,
      headers: asPrincipal(user),
    });
    expect(test.statusCode, test.body).toBe(200);
    expect(test.json()).toMatchObject({ status: 'succeeded', attempts: 1, eventType: 'webhook.test' });

    expect(received).toHaveLength(1);
    const [hit] = received;
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
    const list = await app.inject({ url: '/api/v1/webhook-endpoints', headers: asPrincipal(user) });
    expect(list.body).not.toContain(endpoint.secret);
  });

  it('after a rotation signs with both secrets for the overlap, then with the new one only', async () => {
    const user = await newUser();
    const endpoint = await createEndpoint(user, `${base}/rotated`);
    const rotated = await app.inject({
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
      await app.inject({
        method: 'POST',
        url: `/api/v1/webhook-endpoints/${endpoint.id}/test`,
        headers: asPrincipal(user),
      });
      const hit = received.at(-1)!;
      return { header: String(hit.headers['namaskah-signature']), body: hit.body };
    };
    const during = await send();
    expect(during.header.match(/v1=/g)).toHaveLength(2);
    expect(verifyNamaskahSignature(during.header, during.body, newSecret)).toBe(true);
    expect(verifyNamaskahSignature(during.header, during.body, endpoint.secret)).toBe(true);

    await db().execute(
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
    const user = await newUser();
    const endpoint = await createEndpoint(user, `${base}/flaky`);
    script.set('/flaky', [(res) => res.writeHead(500).end('boom')]);
    const { eventId, deliveryIds } = await emit(user.userId);
    expect(deliveryIds).toHaveLength(1);

    expect(await app.services.webhooks.deliverDue()).toBe(1);
    let [delivery] = (await deliveriesOf(user, endpoint.id)).data;
    expect(delivery).toMatchObject({ status: 'pending', attempts: 1, lastError: 'HTTP 500' });
    expect(delivery!.log[0]).toMatchObject({ statusCode: 500, error: 'HTTP 500' });
    expect(new Date(delivery!.log[0]!.nextRetryAt!).getTime()).toBeGreaterThan(Date.now());
    // Not due yet: nothing is sent before the backoff delay.
    expect(await app.services.webhooks.deliverDue()).toBe(0);

    await makeDue(delivery!.id);
    expect(await app.services.webhooks.deliverDue()).toBe(1);
    [delivery] = (await deliveriesOf(user, endpoint.id)).data;
    expect(delivery).toMatchObject({ status: 'succeeded', attempts: 2, lastError: null });
    expect(delivery!.log.map((a) => a.statusCode)).toEqual([500, 200]);
    expect(delivery!.log[1]!.nextRetryAt).toBeNull();

    expect(received.map((r) => r.path)).toEqual(['/flaky', '/flaky']);
    expect(received.map((r) => r.headers['namaskah-event-id'])).toEqual([eventId, eventId]);
  });

  it('does not follow a redirect: the attempt fails and the Location is never fetched', async () => {
    const user = await newUser();
    const endpoint = await createEndpoint(user, `${base}/moved`);
    script.set('/moved', [(res) => res.writeHead(302, { location: `${base}/stolen` }).end()]);
    await emit(user.userId);
    await app.services.webhooks.deliverDue();
    const [delivery] = (await deliveriesOf(user, endpoint.id)).data;
    expect(delivery).toMatchObject({ status: 'pending', lastError: 'redirect not followed (HTTP 302)' });
    expect(received.map((r) => r.path)).toEqual(['/moved']);
  });

  it('times out a slow receiver', async () => {
    const user = await newUser();
    const endpoint = await createEndpoint(user, `${base}/slow`);
    script.set('/slow', [(res) => setTimeout(() => res.writeHead(200).end('late'), 3_000)]);
    await emit(user.userId);
    const impatient = serviceWith({ timeoutMs: 300 });
    const started = Date.now();
    expect(await impatient.deliverDue()).toBe(1);
    expect(Date.now() - started).toBeLessThan(2_500);
    const [delivery] = (await deliveriesOf(user, endpoint.id)).data;
    expect(delivery!.status).toBe('pending');
    expect(delivery!.lastError).toMatch(/^timeout/);
    expect(delivery!.log[0]!.statusCode).toBeNull();
  });

  it('loses no event when a worker dies mid-delivery: the lease runs out and another worker sends it', async () => {
    const user = await newUser();
    const endpoint = await createEndpoint(user, `${base}/crash`);
    const { eventId } = await emit(user.userId);
    // The dying worker: claims the delivery (1 s lease) and never settles it.
    const [abandoned] = await store.claimDeliveries(db(), { limit: 10, leaseSeconds: 1 });
    expect(abandoned!.eventId).toBe(eventId);
    // While the lease holds nobody else takes it.
    expect(await app.services.webhooks.deliverDue()).toBe(0);

    await eventually(async () => ((await app.services.webhooks.deliverDue()) > 0 ? true : undefined), 10_000);
    const [delivery] = (await deliveriesOf(user, endpoint.id)).data;
    expect(delivery).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(received.map((r) => r.headers['namaskah-event-id'])).toEqual([eventId]);
    // The dead worker, waking up late, cannot overwrite what the other one settled.
    expect(
      await store.settleDelivery(db(), abandoned!.id, abandoned!.leaseToken, {
        status: 'failed',
        nextAttemptAt: null,
        lastStatusCode: null,
        lastError: 'late',
      }),
    ).toBe(false);
  });

  it('never sends an event whose transaction rolled back', async () => {
    const user = await newUser();
    await createEndpoint(user, `${base}/rolled-back`);
    await expect(
      db().transaction(async (tx) => {
        const emitted = await emitEvent(tx, {
          userId: user.userId,
          type: 'verification.completed',
          data: {},
        });
        expect(emitted.deliveryIds).toHaveLength(1);
        throw new Error('the state change failed');
      }),
    ).rejects.toThrow('the state change failed');
    expect(await app.services.webhooks.deliverDue()).toBe(0);
    const events = await db().execute(sql`select id from webhook_events where user_id = ${user.userId}`);
    expect((events as unknown as { rows: unknown[] }).rows).toEqual([]);
    expect(received).toEqual([]);
  });

  it('sends only the event types an endpoint subscribes to', async () => {
    const user = await newUser();
    const endpoint = await createEndpoint(user, `${base}/filtered`, ['wallet.topup.succeeded']);
    expect((await emit(user.userId, 'verification.completed')).deliveryIds).toEqual([]);
    const { eventId } = await emit(user.userId, 'wallet.topup.succeeded');
    await app.services.webhooks.deliverDue();
    expect(received.map((r) => r.headers['namaskah-event-id'])).toEqual([eventId]);
    expect((await deliveriesOf(user, endpoint.id)).data).toHaveLength(1);
  });

  it('redelivers the same event (same id) at once, as a new entry in the log', async () => {
    const user = await newUser();
    const endpoint = await createEndpoint(user, `${base}/again`);
    const { eventId } = await emit(user.userId);
    await app.services.webhooks.deliverDue();
    const [first] = (await deliveriesOf(user, endpoint.id)).data;
    const again = await app.inject({
      method: 'POST',
      url: `/api/v1/webhook-deliveries/${first!.id}/redeliver`,
      headers: asPrincipal(user),
    });
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json()).toMatchObject({ eventId, status: 'succeeded', attempts: 1 });
    expect(again.json().id).not.toBe(first!.id);
    expect(received.map((r) => r.headers['namaskah-event-id'])).toEqual([eventId, eventId]);
  });

  it('pages the delivery log with a cursor', async () => {
    const user = await newUser();
    const endpoint = await createEndpoint(user, `${base}/paged`);
    for (let i = 0; i < 3; i++) await emit(user.userId);
    const page = async (query: string) =>
      (
        await app.inject({
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
    await db().execute(
      sql`update webhook_deliveries set status = 'failed' where endpoint_id = ${endpoint.id}`,
    );
  });

  it('disables an endpoint failing for 72 hours and e-mails its owner; it then gets no events', async () => {
    const user = await newUser();
    const endpoint = await createEndpoint(user, `${base}/down`);
    script.set('/down', [(res) => res.writeHead(503).end()]);
    await db().execute(
      sql`update webhook_endpoints set consecutive_failures = 12, failing_since = now() - interval '73 hours' where id = ${endpoint.id}`,
    );
    await emit(user.userId);
    await app.services.webhooks.deliverDue();
    const list = await app.inject({ url: '/api/v1/webhook-endpoints', headers: asPrincipal(user) });
    expect(list.json().data[0]).toMatchObject({ id: endpoint.id, enabled: false });
    expect(list.json().data[0].disabledReason).toContain('HTTP 503');
    const mail = await eventually(async () => mails.find((m) => m.to === user.email));
    expect(mail.subject).toMatch(/webhook endpoint was disabled/);
    expect(mail.text).toContain(`${base}/down`);
    expect((await emit(user.userId)).deliveryIds).toEqual([]);
    await db().execute(
      sql`update webhook_deliveries set status = 'failed' where endpoint_id = ${endpoint.id}`,
    );
  });
});

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
    const strict = await createTestApp({ database: testDb.database });
    trustTestPrincipalHeader(strict);
    try {
      const user = await newUser();
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
    const user = await newUser();
    await createEndpoint(user, 'http://10.0.0.5/hook');
    const metadata = await app.inject({
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
      const user = await newUser();
      const strict = serviceWith({
        outbound: { allowPrivate: false, requireHttps: false },
        lookup: rebinding(address),
      });
      const endpoint = await strict.createEndpoint({
        userId: user.userId,
        tier: user.tier,
        url: `http://hooks.example.test:${port}/rebound`,
        events: ['*'],
      });
      await emit(user.userId);
      expect(await strict.deliverDue()).toBe(1);
      const [delivery] = (await deliveriesOf(user, endpoint.id)).data;
      expect(delivery!.lastError).toBe('unsafe_url: address_not_allowed');
      expect(received).toEqual([]);
      await db().execute(
        sql`update webhook_deliveries set status = 'failed' where endpoint_id = ${endpoint.id}`,
      );
    },
  );

  it('with the local-use flag, sends to a name that resolves to loopback (the address it checked)', async () => {
    const user = await newUser();
    const local = serviceWith({ lookup: rebinding('127.0.0.1') });
    const endpoint = await local.createEndpoint({
      userId: user.userId,
      tier: user.tier,
      url: `http://hooks.example.test:${port}/local`,
      events: ['*'],
    });
    await emit(user.userId);
    await local.deliverDue();
    expect((await deliveriesOf(user, endpoint.id)).data[0]!.status).toBe('succeeded');
    expect(received.map((r) => [r.path, r.headers.host])).toEqual([['/local', `hooks.example.test:${port}`]]);
  });
});

describe('access', () => {
  it('needs a plan with webhooks: freemium is refused with tier_required, payg is not', async () => {
    const freemium = await newUser('freemium');
    const refusedCreate = await app.inject({
      method: 'POST',
      url: '/api/v1/webhook-endpoints',
      headers: asPrincipal(freemium),
      payload: { url: `${base}/x`, events: ['*'] },
    });
    expect(refusedCreate.statusCode).toBe(403);
    expect(refusedCreate.json().error.code).toBe('tier_required');
    await createEndpoint(await newUser('payg'), `${base}/x`);
  });

  it("answers 404 for another user's endpoint and delivery, and never lists them", async () => {
    const owner = await newUser();
    const other = await newUser();
    const endpoint = await createEndpoint(owner, `${base}/mine`);
    await emit(owner.userId);
    await app.services.webhooks.deliverDue();
    const [delivery] = (await deliveriesOf(owner, endpoint.id)).data;
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
      const response = await app.inject({ ...request, headers: as });
      expect(response.statusCode, `${request.method} ${request.url}`).toBe(404);
    }
    const list = await app.inject({ url: '/api/v1/webhook-endpoints', headers: as });
    expect(list.json().data).toEqual([]);
    expect(received).toHaveLength(1);
    const still = await app.inject({ url: '/api/v1/webhook-endpoints', headers: asPrincipal(owner) });
    expect(still.json().data[0]).toMatchObject({ id: endpoint.id, enabled: true });
  });

  it('lets an API key read with webhooks:read and change only with webhooks:write', async () => {
    const user = await newUser();
    const reader = { ...user, via: 'api_key' as const, apiKeyId: randomUUID(), scopes: ['webhooks:read'] };
    expect(
      (await app.inject({ url: '/api/v1/webhook-endpoints', headers: asPrincipal(reader) })).statusCode,
    ).toBe(200);
    const write = await app.inject({
      method: 'POST',
      url: '/api/v1/webhook-endpoints',
      headers: asPrincipal(reader),
      payload: { url: `${base}/k`, events: ['*'] },
    });
    expect(write.statusCode).toBe(403);
    expect(write.json().error.code).toBe('forbidden');
    const writer = { ...reader, scopes: ['webhooks:write'] };
    const created = await app.inject({
      method: 'POST',
      url: '/api/v1/webhook-endpoints',
      headers: asPrincipal(writer),
      payload: { url: `${base}/k`, events: ['*'] },
    });
    expect(created.statusCode, created.body).toBe(201);
  });

  it('re-enables a disabled endpoint on PATCH and starts its failure count afresh', async () => {
    const user = await newUser();
    const endpoint = await createEndpoint(user, `${base}/back`);
    await db().execute(
      sql`update webhook_endpoints set enabled = false, disabled_reason = 'x', consecutive_failures = 20 where id = ${endpoint.id}`,
    );
    const patched = await app.inject({
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
    expect((await store.endpointById(db(), endpoint.id))!.consecutiveFailures).toBe(0);
  });
});
