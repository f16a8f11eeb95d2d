import { smsReceivedWebhookBody } from '../../../test/support/textverified.js';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp } from '../../../test/support/app.js';
import { createPostgresTestDatabase, type TestDatabase } from '../../../test/support/database.js';
import { asPrincipal, testPrincipal, trustTestPrincipalHeader } from '../../../test/support/principal.js';
import { TEST_REDIS_URL } from '../../../test/support/services.js';
import { createRedis } from '../../platform/redis.js';
import { createTextVerifiedClient, signWebhookBody } from '../../providers/textverified/index.js';
import { startTextVerifiedSandbox, type TextVerifiedSandbox } from '../../sandbox/textverified/index.js';
import type { VerificationView } from './views.js';
import * as store from './store.js';
import { fundWallet } from '../../../test/support/wallet.js';

const SECRET = 'whsec_events_test';

let testDb: TestDatabase;
let sandbox: TextVerifiedSandbox;
const closers: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  testDb = await createPostgresTestDatabase(10);
  sandbox = await startTextVerifiedSandbox({
    apiKey: 'k',
    username: 'u@x.test',
    webhookSecret: SECRET,
    smsDelayMs: 3_600_000,
  });
}, 60_000);

afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => undefined);
  await sandbox?.close();
  await testDb?.dispose();
});

/** One "instance": its own app, provider client and (optionally) Redis connection, on the shared database. */
async function instance(mode: 'redis' | 'postgres'): Promise<{ app: FastifyInstance; url: string }> {
  const client = createTextVerifiedClient({ baseUrl: sandbox.url, apiKey: 'k', username: 'u@x.test' });
  let redis: Redis | undefined;
  if (mode === 'redis') {
    redis = await createRedis(TEST_REDIS_URL);
    await redis.connect();
    closers.push(async () => redis!.disconnect());
  }
  const app = await createTestApp({
    database: testDb.database,
    redis,
    providers: { textVerified: client },
    env: {
      TEXTVERIFIED_WEBHOOK_SECRET: SECRET,
      RATE_LIMIT_GLOBAL_PER_MINUTE: '0',
      DATABASE_URL: testDb.url!,
      APP_SECRET: 'events-test-secret-0123456789abcdef',
    },
  });
  trustTestPrincipalHeader(app);
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  closers.push(() => app.close());
  return { app, url };
}

/** Reads SSE frames until `stop` says so. */
async function collect(
  url: string,
  headers: Record<string, string>,
  stop: (events: { event: string; data: unknown }[]) => boolean,
) {
  const controller = new AbortController();
  const response = await fetch(url, { headers, signal: controller.signal });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/event-stream');
  // The stream is written past Fastify's onSend, and still carries the security headers.
  expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
  expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const events: { event: string; data: unknown }[] = [];
  let buffer = '';
  const timeout = setTimeout(() => controller.abort(), 10_000);
  const ready = { resolve: () => undefined as void };
  const connected = new Promise<void>((resolve) => (ready.resolve = resolve));
  const done = (async () => {
    try {
      for (;;) {
        const { value, done: ended } = await reader.read();
        if (ended) break;
        buffer += decoder.decode(value, { stream: true });
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const event = /^event: (.*)$/m.exec(frame)?.[1];
          const data = /^data: (.*)$/m.exec(frame)?.[1];
          if (event && data) events.push({ event, data: JSON.parse(data) });
          if (event === 'status') ready.resolve();
        }
        if (stop(events)) break;
      }
    } finally {
      clearTimeout(timeout);
      controller.abort();
    }
    return events;
  })();
  await connected;
  return done;
}

describe.each(['redis', 'postgres'] as const)('SSE fan-out across instances (%s)', (mode) => {
  it('a subscriber on instance A sees a code that arrived through instance B', async () => {
    const a = await instance(mode);
    const b = await instance(mode);
    const user = testPrincipal({ tier: 'payg' });
    await fundWallet(testDb.database.db, user.userId, 1_000);
    const purchase = await a.app.inject({
      method: 'POST',
      url: '/api/v1/verifications',
      headers: asPrincipal(user),
      payload: { service: 'whatsapp', country: 'US' },
    });
    expect(purchase.statusCode, purchase.body).toBe(201);
    const view = purchase.json<VerificationView>();

    const stream = collect(`${a.url}/api/v1/verifications/${view.id}/events`, asPrincipal(user), (events) =>
      events.some((e) => e.event === 'message'),
    );
    // The SMS reaches instance B (the sandbox's own webhook is not pointed at either instance).
    const providerId = (await store.findById(testDb.database.db, view.id))!.providerId!;
    const sms = sandbox.control.deliverSms(providerId, {
      code: '314159',
      text: 'Your WhatsApp code is 314-159',
    });
    const body = smsReceivedWebhookBody({ ...sms, reservationId: providerId });
    // Give A's subscription a moment to be in place before B publishes.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const hook = await b.app.inject({
      method: 'POST',
      url: '/api/v1/hooks/textverified',
      headers: { 'content-type': 'application/json', 'x-webhook-signature': signWebhookBody(body, SECRET) },
      payload: body,
    });
    expect(hook.statusCode).toBe(200);
    const events = await stream;
    const message = events.find((e) => e.event === 'message');
    expect(message?.data).toMatchObject({ code: '314159' });
  }, 30_000);
});

describe('each instance owns its event bus', () => {
  it('closing another instance on the same database leaves this one’s streams live', async () => {
    const a = await instance('postgres');
    const b = await instance('postgres');
    const user = testPrincipal({ tier: 'payg' });
    await fundWallet(testDb.database.db, user.userId, 1_000);
    const purchase = await a.app.inject({
      method: 'POST',
      url: '/api/v1/verifications',
      headers: asPrincipal(user),
      payload: { service: 'whatsapp', country: 'US' },
    });
    expect(purchase.statusCode, purchase.body).toBe(201);
    const view = purchase.json<VerificationView>();
    const stream = collect(`${a.url}/api/v1/verifications/${view.id}/events`, asPrincipal(user), (events) =>
      events.some((e) => e.event === 'message'),
    );
    await new Promise((resolve) => setTimeout(resolve, 100));

    // Another instance on the same database shuts down (a deploy, a scale-in).
    await b.app.close();

    const providerId = (await store.findById(testDb.database.db, view.id))!.providerId!;
    const sms = sandbox.control.deliverSms(providerId, { code: '271828', text: 'Your code is 271828' });
    const body = smsReceivedWebhookBody({ ...sms, reservationId: providerId });
    const hook = await a.app.inject({
      method: 'POST',
      url: '/api/v1/hooks/textverified',
      headers: { 'content-type': 'application/json', 'x-webhook-signature': signWebhookBody(body, SECRET) },
      payload: body,
    });
    expect(hook.statusCode).toBe(200);
    // Well before the stream's periodic refresh (15 s): the notice itself reached it.
    const events = await stream;
    expect(events.find((e) => e.event === 'message')?.data).toMatchObject({ code: '271828' });
  }, 30_000);
});
