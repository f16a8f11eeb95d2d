/**
 * Administration against live upstreams: a suspension ends the user's open event streams (token
 * and API key) and refuses their next API-key call; the providers page reads TextVerified's
 * balance and circuit. The TextVerified sandbox and the SMTP catcher stand in for the outside world.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SignedIn, signInAdmin } from '../../../test/support/admin.js';
import { type TestApp, createTestApp } from '../../../test/support/app.js';
import { type RealUser, as, signUp } from '../../../test/support/attacker.js';
import { type TestDatabase, createPostgresTestDatabase } from '../../../test/support/database.js';
import { eventually } from '../../../test/support/eventually.js';
import { createMailer } from '../../platform/mail/mailer.js';
import { createTextVerifiedClient } from '../../providers/textverified/index.js';
import { type SmtpCatcher, startSmtpCatcher } from '../../sandbox/smtp/catcher.js';
import { type TextVerifiedSandbox, startTextVerifiedSandbox } from '../../sandbox/textverified/index.js';
import { ADMIN_PREFIX } from './index.js';
import { openStream } from '../../../test/support/sse.js';

const TV_SECRET = 'whsec_admin_suite_secret';
const TV_BALANCE_CENTS = 123_456;

let testDb: TestDatabase;
let catcher: SmtpCatcher;
let textVerified: TextVerifiedSandbox;
let app: TestApp;
let admin: SignedIn;

beforeAll(async () => {
  testDb = await createPostgresTestDatabase(10);
  catcher = await startSmtpCatcher();
  textVerified = await startTextVerifiedSandbox({
    apiKey: 'tv-key',
    username: 'ops@namaskah.test',
    webhookSecret: TV_SECRET,
    smsDelayMs: 3_600_000, // SMS only on command
    balanceCents: TV_BALANCE_CENTS,
  });
  textVerified.control.setStock('whatsapp', 1_000);
  app = await createTestApp({
    database: testDb.database,
    providers: {
      mailer: createMailer({ smtpUrl: catcher.smtpUrl, from: 'Namaskah <no-reply@namaskah.test>' }),
      textVerified: createTextVerifiedClient({
        baseUrl: textVerified.url,
        apiKey: 'tv-key',
        username: 'ops@namaskah.test',
        timeoutMs: 3000,
        retry: { retries: 0 },
        circuitBreaker: { consecutiveFailures: 2, halfOpenAfterMs: 60_000 },
      }),
    },
    env: { TEXTVERIFIED_WEBHOOK_SECRET: TV_SECRET },
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  textVerified.control.setWebhook(`${url}/api/v1/hooks/textverified`);
  admin = await signInAdmin(app);
}, 90_000);

afterAll(async () => {
  await app?.close();
  await textVerified?.close();
  await catcher?.close();
  await testDb?.dispose();
});

const asAdmin = (method: 'GET' | 'POST' | 'PUT' | 'PATCH', url: string, payload?: object) =>
  as(app, null, {
    method,
    url,
    headers: { authorization: `Bearer ${admin.accessToken}` },
    ...(payload ? { payload } : {}),
  });

async function apiKeyOf(user: RealUser): Promise<string> {
  const made = await as(app, user, {
    method: 'POST',
    url: '/api/v1/api-keys',
    payload: { name: 'stream', scopes: ['account:read', 'verifications:read'] },
  });
  expect(made.statusCode, made.body).toBe(201);
  return made.json<{ key: string }>().key;
}

describe('suspension by an administrator', () => {
  it('ends the user’s open streams (token and API key) and refuses the next API-key call', async () => {
    const victim = await signUp(app, catcher);
    await app.services.accounts.setUserTier(victim.userId, 'payg');
    const bought = await as(app, victim, {
      method: 'POST',
      url: '/api/v1/verifications',
      payload: { service: 'whatsapp', country: 'US' },
    });
    expect(bought.statusCode, bought.body).toBe(201);
    const order = bought.json<{ id: string }>();
    const key = await apiKeyOf(victim);
    const byToken = await openStream(app, order.id, `Bearer ${victim.accessToken}`);
    const byKey = await openStream(app, order.id, `Bearer ${key}`);
    expect(
      (await as(app, null, { url: '/api/v1/me', headers: { authorization: `Bearer ${key}` } })).statusCode,
    ).toBe(200);

    const suspended = await asAdmin('POST', `${ADMIN_PREFIX}/users/${victim.userId}/suspend`, {
      reason: 'stolen cards',
    });
    expect(suspended.statusCode, suspended.body).toBe(200);

    // The next API-key call is refused at once, before any stream notices.
    const next = await as(app, null, { url: '/api/v1/me', headers: { authorization: `Bearer ${key}` } });
    expect(next.statusCode).toBe(403);
    for (const stream of [byToken, byKey]) {
      expect(await stream.ended).toBe('closed');
      expect(stream.events.at(-1)).toEqual({
        event: 'error',
        data: { error: { code: 'access_revoked', message: expect.any(String) } },
      });
    }
    const reopen = await as(app, null, {
      url: `/api/v1/verifications/${order.id}/events`,
      headers: { authorization: `Bearer ${key}` },
    });
    expect(reopen.statusCode).toBe(403);
  });
});

describe('provider health', () => {
  it('shows TextVerified’s balance and circuit, and Paystack as not configured', async () => {
    const healthy = await asAdmin('GET', `${ADMIN_PREFIX}/providers`);
    expect(healthy.statusCode, healthy.body).toBe(200);
    expect(healthy.json()).toEqual({
      textVerified: {
        configured: true,
        circuit: 'closed',
        healthy: true,
        // What the sandbox account holds now (purchases above spent some of it).
        balance: { amount: textVerified.control.getBalance(), currency: 'USD' },
        error: null,
      },
      fiveSim: { configured: false, circuit: null, healthy: false, balance: null, error: null },
      paystack: { configured: false },
    });

    // The provider goes down: the page says so (and, once the breaker opens, that calls fail fast).
    textVerified.control.injectFault({ path: 'account/me', mode: 'error', count: 100 });
    for (let i = 0; i < 2; i++) {
      const down = await asAdmin('GET', `${ADMIN_PREFIX}/providers`);
      expect(down.statusCode).toBe(200);
      expect(down.json().textVerified).toMatchObject({
        healthy: false,
        balance: null,
        error: expect.any(String),
      });
    }
    await eventually(async () => {
      const open = await asAdmin('GET', `${ADMIN_PREFIX}/providers`);
      return open.json().textVerified.circuit === 'open' ? true : undefined;
    });
  });
});

describe('pricing and tiers', () => {
  const quote = async () => {
    const response = await as(app, null, { url: '/api/v1/catalog/quote?service=whatsapp&country=US' });
    expect(response.statusCode, response.body).toBe(200);
    return response.json<{ price: { amount: number } }>().price.amount;
  };
  const auditOf = async (action: string) => {
    const response = await asAdmin(
      'GET',
      `${ADMIN_PREFIX}/audit-log?action=${action}&actorId=${admin.userId}`,
    );
    return response.json<{ data: { details: Record<string, unknown>; ip: string | null }[] }>().data;
  };

  it('a markup override changes the next quote at once, is audited, and is cleared by leaving it out', async () => {
    const before = await quote();
    const initial = await asAdmin('GET', `${ADMIN_PREFIX}/pricing/markups`);
    expect(initial.json()).toEqual({ defaultMarkupBps: expect.any(Number), overrides: [] });
    const defaultMarkup = initial.json<{ defaultMarkupBps: number }>().defaultMarkupBps;

    const doubled = await asAdmin('PUT', `${ADMIN_PREFIX}/pricing/markups`, {
      overrides: [{ service: 'whatsapp', markupBps: defaultMarkup * 2 }],
      reason: 'upstream shortage',
    });
    expect(doubled.statusCode, doubled.body).toBe(200);
    expect(doubled.json().overrides).toEqual([{ service: 'whatsapp', markupBps: defaultMarkup * 2 }]);
    // The quote just read was cached: the edit drops the cached markups, so the next quote shows it.
    expect(await quote()).toBeGreaterThan(before);
    expect(await auditOf('admin.markups_replaced')).toEqual([
      expect.objectContaining({
        ip: expect.any(String),
        details: {
          changes: { whatsapp: { from: null, to: defaultMarkup * 2 } },
          reason: 'upstream shortage',
        },
      }),
    ]);

    const cleared = await asAdmin('PUT', `${ADMIN_PREFIX}/pricing/markups`, { overrides: [] });
    expect(cleared.json().overrides).toEqual([]);
    expect(await quote()).toBe(before);
    for (const overrides of [
      [{ service: 'whatsapp', markupBps: 9_999 }],
      [{ service: 'whatsapp', markupBps: 100_001 }],
      [
        { service: 'whatsapp', markupBps: 20_000 },
        { service: 'whatsapp', markupBps: 30_000 },
      ],
    ]) {
      const refused = await asAdmin('PUT', `${ADMIN_PREFIX}/pricing/markups`, { overrides });
      expect(refused.statusCode, JSON.stringify(overrides)).toBe(400);
    }
    expect(await quote()).toBe(before);
  });

  it('a tier edit is validated, audited with what changed, and priced from at once', async () => {
    const tiers = await asAdmin('GET', `${ADMIN_PREFIX}/tiers`);
    expect(tiers.json<{ data: { name: string }[] }>().data.map((t) => t.name)).toEqual([
      'freemium',
      'payg',
      'pro',
      'custom',
    ]);
    const payg = tiers.json<{ data: { name: string; priceMultiplierBps: number }[] }>().data[1]!;
    const before = await quote();

    const edited = await asAdmin('PATCH', `${ADMIN_PREFIX}/tiers/payg`, {
      priceMultiplierBps: payg.priceMultiplierBps * 2,
      carrierSurcharge: { amount: 75, currency: 'USD' },
      reason: 'price test',
    });
    expect(edited.statusCode, edited.body).toBe(200);
    expect(edited.json()).toMatchObject({
      name: 'payg',
      priceMultiplierBps: payg.priceMultiplierBps * 2,
      carrierSurcharge: { amount: 75, currency: 'USD' },
    });
    expect(await quote()).toBeGreaterThan(before);
    const [entry] = await auditOf('admin.tier_updated');
    expect(entry?.details).toEqual({
      changes: {
        priceMultiplierBps: { from: payg.priceMultiplierBps, to: payg.priceMultiplierBps * 2 },
        carrierSurchargeCents: { from: 50, to: 75 },
      },
      reason: 'price test',
    });

    for (const patch of [
      {},
      { reason: 'only a reason' },
      { priceMultiplierBps: 0 },
      { maxActiveOrders: 0 },
      { monthlyPrice: { amount: -1, currency: 'USD' } },
      { monthlyPrice: { amount: 100, currency: 'NGN' } },
      { name: 'renamed' },
    ]) {
      const refused = await asAdmin('PATCH', `${ADMIN_PREFIX}/tiers/payg`, patch);
      expect(refused.statusCode, JSON.stringify(patch)).toBe(400);
    }
    expect((await asAdmin('PATCH', `${ADMIN_PREFIX}/tiers/gold`, { voiceAllowed: true })).statusCode).toBe(
      404,
    );

    const restored = await asAdmin('PATCH', `${ADMIN_PREFIX}/tiers/payg`, {
      priceMultiplierBps: payg.priceMultiplierBps,
      carrierSurcharge: { amount: 50, currency: 'USD' },
    });
    expect(restored.statusCode).toBe(200);
    expect(await quote()).toBe(before);
  });
});
