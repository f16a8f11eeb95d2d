import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type TestApp, createTestApp } from '../../../test/support/app.js';
import { createPostgresTestDatabase, type TestDatabase } from '../../../test/support/database.js';
import { asPrincipal, testPrincipal, trustTestPrincipalHeader } from '../../../test/support/principal.js';
import type { Principal } from '../../platform/http/principal.js';
import { createTextVerifiedClient, type TextVerifiedClient } from '../../providers/textverified/index.js';
import {
  defaultServices,
  startTextVerifiedSandbox,
  type TextVerifiedSandbox,
} from '../../sandbox/textverified/index.js';
import { type Catalog, createCatalogService, LIST_LOOKUP_CONCURRENCY } from './service.js';
import { type UpstreamSend, upstreamSend } from '../../platform/net/upstream-http.js';

const ENV = { RATE_LIMIT_GLOBAL_PER_MINUTE: '0', CATALOG_CACHE_TTL_SECONDS: '3600' };
const SERVICE_COUNT = defaultServices().length;
/** The sandbox's seed has some services out of stock. */
const inStock = (name: string) => defaultServices().find((s) => s.serviceName === name)!.stock > 0;

let testDb: TestDatabase;
let sandbox: TextVerifiedSandbox;
let client: TextVerifiedClient;
let app: TestApp;
let catalog: Catalog;

/** Provider price and inventory calls in flight right now, and the most seen at once. */
const lookups = { inFlight: 0, max: 0 };

beforeAll(async () => {
  testDb = await createPostgresTestDatabase(5);
  sandbox = await startTextVerifiedSandbox({
    apiKey: 'tv-key',
    username: 'ops@namaskah.test',
    webhookSecret: 'whsec_catalog_test',
    smsDelayMs: 3_600_000,
    hangMs: 1_000,
  });
  const watchedSend: UpstreamSend = async (url, init) => {
    const lookup = /\/(pricing|inventory)\/verifications$/.test(url);
    if (lookup) lookups.max = Math.max(lookups.max, ++lookups.inFlight);
    try {
      return await upstreamSend(url, init);
    } finally {
      if (lookup) lookups.inFlight -= 1;
    }
  };
  client = createTextVerifiedClient({
    baseUrl: sandbox.url,
    apiKey: 'tv-key',
    username: 'ops@namaskah.test',
    timeoutMs: 500,
    retry: { retries: 1, initialDelayMs: 10, maxDelayMs: 20 },
    circuitBreaker: { consecutiveFailures: 1_000_000 },
    send: watchedSend,
  });
  app = await createTestApp({ database: testDb.database, providers: { textVerified: client }, env: ENV });
  trustTestPrincipalHeader(app);
  await app.ready();
  // The same instance the routes use.
  catalog = app.services.catalog;
}, 60_000);

afterAll(async () => {
  await app?.close();
  await sandbox?.close();
  await testDb?.dispose();
});

beforeEach(() => {
  catalog.invalidate();
  sandbox.control.clearRequests();
  lookups.max = 0;
});

afterEach(() => {
  sandbox.control.clearFaults();
});

interface Listed {
  name: string;
  price: { amount: number; currency: string } | null;
  available: boolean | null;
}

async function list(principal?: Principal, q?: string): Promise<Listed[]> {
  const response = await app.inject({
    url: `/api/v1/catalog/services?country=US${q ? `&q=${encodeURIComponent(q)}` : ''}`,
    headers: principal ? asPrincipal(principal) : {},
  });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<{ data: Listed[] }>().data;
}

async function quotedPrice(service: string, principal?: Principal) {
  const response = await app.inject({
    url: `/api/v1/catalog/quote?service=${service}&country=US`,
    headers: principal ? asPrincipal(principal) : {},
  });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<{ price: { amount: number; currency: string } }>().price;
}

const lookupRequests = () =>
  sandbox.control.requests().filter((r) => /\/(pricing|inventory)\/verifications$/.test(r.path));
const priceRequests = () =>
  sandbox.control.requests().filter((r) => r.path.endsWith('/pricing/verifications'));

describe('GET /api/v1/catalog/services', () => {
  it('prices every service for the caller’s tier exactly as /quote does', async () => {
    const anonymous = await list();
    expect(anonymous).toHaveLength(SERVICE_COUNT);
    expect(anonymous.find((s) => s.name === 'whatsapp')).toMatchObject({
      price: { amount: 143, currency: 'USD' }, // 0.95 × 1.5 = 142.5 → 143
      available: true,
    });
    for (const service of anonymous) {
      expect(service.price, service.name).toEqual(await quotedPrice(service.name));
      expect(service.available, service.name).toBe(inStock(service.name));
    }

    // pro pays × 0.85 of the marked-up price, rounded up.
    const pro = testPrincipal({ tier: 'pro' });
    const proList = await list(pro);
    expect(proList.find((s) => s.name === 'whatsapp')?.price).toEqual({ amount: 122, currency: 'USD' });
    for (const service of proList) {
      expect(service.price, service.name).toEqual(await quotedPrice(service.name, pro));
      const payg = anonymous.find((s) => s.name === service.name)!.price!.amount;
      expect(service.price!.amount).toBe(Math.ceil((payg * 8500) / 10_000));
    }
  });

  it('applies per-service markup overrides like the quote', async () => {
    await catalog.setMarkupOverride('telegram', 20_000);
    try {
      catalog.invalidate();
      const [telegram] = await list(undefined, 'telegram');
      expect(telegram!.price).toEqual({ amount: 170, currency: 'USD' }); // 0.85 × 2
      expect(telegram!.price).toEqual(await quotedPrice('telegram'));
    } finally {
      await catalog.setMarkupOverride('telegram', null);
    }
  });

  it('marks a service without stock unavailable', async () => {
    sandbox.control.setStock('tiktok', 0);
    try {
      const services = await list();
      expect(services.find((s) => s.name === 'tiktok')).toMatchObject({ available: false });
      expect(services.find((s) => s.name === 'tiktok')!.price).not.toBeNull();
      expect(services.find((s) => s.name === 'whatsapp')).toMatchObject({ available: true });
      const seededOut = defaultServices().filter((s) => s.stock === 0);
      expect(services.filter((s) => s.available === false).map((s) => s.name)).toEqual(
        expect.arrayContaining(['tiktok', ...seededOut.map((s) => s.serviceName)]),
      );
      expect(services.filter((s) => s.available === false)).toHaveLength(seededOut.length + 1);
    } finally {
      sandbox.control.setStock('tiktok', 250);
    }
  });

  it('caches prices and stock: bounded fan-out when cold, no provider calls within the TTL', async () => {
    // Two callers at once on a cold cache share one look-up per service.
    const [first, second] = await Promise.all([list(), list(testPrincipal({ tier: 'pro' }))]);
    expect(first).toHaveLength(SERVICE_COUNT);
    expect(second).toHaveLength(SERVICE_COUNT);
    expect(priceRequests()).toHaveLength(SERVICE_COUNT);
    expect(lookupRequests()).toHaveLength(2 * SERVICE_COUNT);
    expect(lookups.max).toBeGreaterThan(1);
    expect(lookups.max).toBeLessThanOrEqual(LIST_LOOKUP_CONCURRENCY);

    const before = sandbox.control.requests().length;
    expect(await list()).toEqual(first);
    await list(testPrincipal({ tier: 'freemium' }), 'whats');
    await quotedPrice('whatsapp');
    expect(sandbox.control.requests()).toHaveLength(before);
  });

  it('one service failing to price leaves it unpriced, the rest listed; the failure is not cached', async () => {
    // Every other service's price is cached by a quote, so tiktok's is the only pricing call.
    for (const { serviceName } of defaultServices()) {
      if (serviceName !== 'tiktok') await quotedPrice(serviceName);
    }
    sandbox.control.clearRequests();
    sandbox.control.injectFault({ path: 'pricing/verifications', method: 'POST', mode: 'error', count: 2 });

    const services = await list();
    expect(services).toHaveLength(SERVICE_COUNT);
    expect(services.find((s) => s.name === 'tiktok')).toMatchObject({ price: null, available: true });
    expect(services.filter((s) => s.price === null).map((s) => s.name)).toEqual(['tiktok']);
    expect(priceRequests()).toHaveLength(2); // the call and its one retry, both refused

    sandbox.control.clearFaults();
    const again = await list();
    expect(again.find((s) => s.name === 'tiktok')!.price).toEqual(await quotedPrice('tiktok'));
    expect(priceRequests()).toHaveLength(3);
  });

  it('answers without prices it cannot get in time, and fills them in behind the answer', async () => {
    const impatient = createCatalogService({
      db: testDb.database.db,
      textVerified: client,
      tiers: app.services.tiers,
      settings: { markupBps: 15_000, cacheTtlSeconds: 3600, listWaitMs: 100 },
    });
    sandbox.control.injectFault({ path: 'pricing/verifications', method: 'POST', mode: 'hang', count: 1 });
    const startedAt = Date.now();
    const [discord] = await impatient.listPricedServices({ q: 'discord' }, 'payg');
    expect(Date.now() - startedAt).toBeLessThan(450); // well before the client's 500 ms timeout
    expect(discord).toMatchObject({ name: 'discord', price: null, available: true });

    // The hung call times out, its retry answers, and the cache has the price for the next listing.
    await new Promise((resolve) => setTimeout(resolve, 700));
    const [later] = await impatient.listPricedServices({ q: 'discord' }, 'payg');
    expect(later!.price).toEqual(await quotedPrice('discord'));
  });

  it('an unreachable provider is a 503 in the error shape, never a 500', async () => {
    sandbox.control.injectFault({ path: 'services', method: 'GET', mode: 'error', count: 10 });
    const response = await app.inject({ url: '/api/v1/catalog/services' });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toEqual({
      error: { code: 'provider_unavailable', message: expect.any(String) as string },
    });
  });

  it('the OpenAPI document describes the catalogue responses', async () => {
    const doc = (await app.inject({ url: '/api/openapi.json' })).json<OpenApi>();
    const listed = okSchema(doc, '/api/v1/catalog/services', 'get');
    const item = listed.properties!.data!.items!;
    expect(item.required).toEqual(
      expect.arrayContaining(['name', 'displayName', 'category', 'capabilities', 'price', 'available']),
    );
    expect(JSON.stringify(item.properties!.price)).toContain('"amount"');
    expect(Object.keys(okSchema(doc, '/api/v1/catalog/countries', 'get').properties!)).toEqual(['data']);
    expect(Object.keys(okSchema(doc, '/api/v1/catalog/quote', 'get').properties!).sort()).toEqual(
      ['breakdown', 'capability', 'country', 'delivery', 'price', 'service', 'tier'].sort(),
    );
    const quoteErrors = doc.paths['/api/v1/catalog/quote']!.get!.responses['4XX'];
    expect(JSON.stringify(quoteErrors)).toContain('"code"');
  });
});

interface JsonSchema {
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  required?: string[];
}
interface OpenApi {
  paths: Record<
    string,
    Record<string, { responses: Record<string, { content?: Record<string, { schema: JsonSchema }> }> }>
  >;
}

function okSchema(doc: OpenApi, path: string, method: string, status = '200'): JsonSchema {
  const schema = doc.paths[path]?.[method]?.responses[status]?.content?.['application/json']?.schema;
  if (!schema) throw new Error(`${method} ${path} has no ${status} response schema`);
  return schema;
}
