import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import {
  type EventType,
  type WebhooksDeps,
  createWebhooksService,
  emitEvent,
} from '../../src/modules/webhooks/index.js';
import type { Principal } from '../../src/platform/http/principal.js';
import type { MailMessage } from '../../src/platform/mail/mailer.js';
import type { TierName } from '../../src/modules/tiers/index.js';
import { type TestApp, createTestApp } from './app.js';
import { type TestDatabase, createPostgresTestDatabase } from './database.js';
import { asPrincipal, testPrincipal, trustTestPrincipalHeader } from './principal.js';

export interface ReceivedWebhook {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}
export type ReceiverBehaviour = (res: http.ServerResponse) => void;

/**
 * A local webhook receiver on 127.0.0.1: records every request, and answers each path with the
 * behaviours scripted for it, in turn (then 200 "ok").
 */
export async function startWebhookReceiver() {
  const received: ReceivedWebhook[] = [];
  const script = new Map<string, ReceiverBehaviour[]>();
  const server = http.createServer((req, res) => {
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
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    base: `http://127.0.0.1:${port}`,
    received,
    /** Scripts the next answers of `path`. */
    answer(path: string, ...behaviours: ReceiverBehaviour[]) {
      script.set(path, behaviours);
    },
    reset() {
      received.length = 0;
      script.clear();
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
export type WebhookReceiver = Awaited<ReturnType<typeof startWebhookReceiver>>;

/**
 * The world of a webhooks test file: a local receiver, the real app on its own database with the
 * local-use flag on and a mail catcher, and helpers acting as users. Registers its hooks.
 */
export function useWebhooksTestbed() {
  let receiver: WebhookReceiver;
  let testDb: TestDatabase;
  let app: TestApp;
  const mails: MailMessage[] = [];
  const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
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
    await receiver?.close();
  });

  beforeEach(() => receiver.reset());

  const db = () => testDb.database.db;

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
        log: Array<{ statusCode: number | null; error: string | null; nextRetryAt: string | null }>;
      }>;
      nextCursor: string | null;
    }>();
  };

  return {
    get app() {
      return app;
    },
    get receiver() {
      return receiver;
    },
    database: () => testDb.database,
    db,
    mails,
    deliveriesOf,

    /** A real account (endpoints belong to users) on `tier`, and the principal acting as it. */
    async newUser(tier: TierName = 'payg'): Promise<Principal> {
      const user = await app.services.accounts.createUser({
        email: `${randomUUID().slice(0, 12)}@example.test`,
        password: 'a long enough password',
      });
      await app.services.accounts.setUserTier(user!.id, tier);
      return testPrincipal({ userId: user!.id, email: user!.email, tier });
    },

    async createEndpoint(principal: Principal, url: string, events: string[] = ['*']) {
      const response = await app.inject({
        method: 'POST',
        url: '/api/v1/webhook-endpoints',
        headers: asPrincipal(principal),
        payload: { url, events, description: 'test receiver' },
      });
      expect(response.statusCode, response.body).toBe(201);
      return response.json<{ id: string; secret: string; url: string }>();
    },

    /** A committed state change that emits `type` for the user. */
    emit: (userId: string, type: EventType = 'verification.completed') =>
      db().transaction((tx) => emitEvent(tx, { userId, type, data: { verificationId: randomUUID() } })),

    /** A service like the app's, with its own sender settings (resolver, deadline, policy). */
    serviceWith: (overrides: Partial<WebhooksDeps>) =>
      createWebhooksService({
        db: db(),
        tiers: app.services.tiers,
        accounts: app.services.accounts,
        mailer: undefined,
        jobs: undefined,
        logger: quiet,
        secrets: app.platform.config,
        publicUrl: app.platform.config.publicUrl,
        outbound: { allowPrivate: true, requireHttps: false },
        ...overrides,
      }),

    /** Makes a pending retry due now (stands for the backoff delay passing). */
    makeDue: (deliveryId: string) =>
      db().execute(sql`update webhook_deliveries set next_attempt_at = now() where id = ${deliveryId}`),

    /** Settles what a test left pending, so the next test's workers do not pick it up. */
    settleAll: (endpointId: string) =>
      db().execute(sql`update webhook_deliveries set status = 'failed' where endpoint_id = ${endpointId}`),
  };
}
