/**
 * The delivery figures the catalogue and the quote show are those of the orders behind them
 * (test/support/delivery-orders.ts has the orders and the figures worked out by hand).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type TestApp, createTestApp } from '../../../test/support/app.js';
import { createPostgresTestDatabase, type TestDatabase } from '../../../test/support/database.js';
import {
  insertKnownOrders,
  KNOWN_FIGURES,
  KNOWN_MIN_ORDERS,
  KNOWN_ORDERS,
} from '../../../test/support/delivery-orders.js';
import { createTextVerifiedClient } from '../../providers/textverified/index.js';
import { startTextVerifiedSandbox, type TextVerifiedSandbox } from '../../sandbox/textverified/index.js';
import type { DeliveryView } from './views.js';

let testDb: TestDatabase;
let sandbox: TextVerifiedSandbox;
let app: TestApp;

beforeAll(async () => {
  testDb = await createPostgresTestDatabase(3);
  sandbox = await startTextVerifiedSandbox({
    apiKey: 'tv-key',
    username: 'ops@namaskah.test',
    webhookSecret: 'whsec_delivery_test',
    smsDelayMs: 3_600_000,
  });
  const client = createTextVerifiedClient({
    baseUrl: sandbox.url,
    apiKey: 'tv-key',
    username: 'ops@namaskah.test',
    timeoutMs: 2_000,
  });
  app = await createTestApp({
    database: testDb.database,
    providers: { textVerified: client },
    env: {
      RATE_LIMIT_GLOBAL_PER_MINUTE: '0',
      DELIVERY_STATS_MIN_ORDERS: String(KNOWN_MIN_ORDERS),
      DELIVERY_STATS_CACHE_SECONDS: '3600',
    },
  });
  await app.ready();
  await insertKnownOrders(testDb.database.db, new Date(), KNOWN_ORDERS);
}, 60_000);

afterAll(async () => {
  await app?.close();
  await sandbox?.close();
  await testDb?.dispose();
});

beforeEach(() => {
  app.services.deliveryStats.invalidate();
});

interface Listed {
  name: string;
  delivery: DeliveryView;
}

async function listed(country?: string): Promise<Listed[]> {
  const response = await app.inject({
    url: `/api/v1/catalog/services${country ? `?country=${country}` : ''}`,
  });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<{ data: Listed[] }>().data;
}

async function quoted(service: string, country: string): Promise<DeliveryView> {
  const response = await app.inject({ url: `/api/v1/catalog/quote?service=${service}&country=${country}` });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<{ delivery: DeliveryView }>().delivery;
}

const figuresOf = (services: Listed[], name: string) => services.find((s) => s.name === name)?.delivery;

describe('delivery figures before purchase', () => {
  it('the catalogue shows each service’s figures in the country, every provider together', async () => {
    const services = await listed('US');
    expect(figuresOf(services, 'whatsapp')).toEqual(KNOWN_FIGURES.whatsappUs);
    // Below the minimum sample in both windows: nothing shown.
    expect(figuresOf(services, 'telegram')).toEqual(KNOWN_FIGURES.telegramUs);
    // No orders at all.
    expect(figuresOf(services, 'discord')).toEqual({ last24h: null, last7d: null });
  });

  it('without a country the catalogue counts every country', async () => {
    expect(figuresOf(await listed(), 'whatsapp')).toEqual(KNOWN_FIGURES.whatsapp);
  });

  it('the quote shows the same figures as the catalogue', async () => {
    expect(await quoted('whatsapp', 'US')).toEqual(KNOWN_FIGURES.whatsappUs);
    expect(await quoted('WhatsApp', 'us')).toEqual(KNOWN_FIGURES.whatsappUs);
    expect(await quoted('telegram', 'US')).toEqual(KNOWN_FIGURES.telegramUs);
  });

  it('listings reuse the figures for the cache period instead of reading the orders again', async () => {
    expect(figuresOf(await listed('US'), 'google')).toEqual({ last24h: null, last7d: null });
    // Four orders reach the minimum sample…
    const order = { service: 'google', country: 'US', provider: 'fivesim', agoMs: 60_000 } as const;
    await insertKnownOrders(testDb.database.db, new Date(), [
      { ...order, status: 'completed', secondsToCode: 20 },
      { ...order, status: 'completed', secondsToCode: 30 },
      { ...order, status: 'completed', secondsToCode: 70 },
      { ...order, status: 'expired' },
    ]);
    // …but within the cache period the listing and the quote still show the kept figures.
    expect(figuresOf(await listed('US'), 'google')).toEqual({ last24h: null, last7d: null });
    expect(await quoted('google', 'US')).toEqual({ last24h: null, last7d: null });
    app.services.deliveryStats.invalidate();
    const figure = { orders: 4, delivered: 3, successRate: 0.75, medianSecondsToCode: 30 };
    expect(await quoted('google', 'US')).toEqual({ last24h: figure, last7d: figure });
    expect(figuresOf(await listed('US'), 'google')).toEqual({ last24h: figure, last7d: figure });
  });

  it('the OpenAPI document describes the figures in both responses', async () => {
    const doc = (await app.inject({ url: '/api/openapi.json' })).body;
    const parsed = JSON.parse(doc) as {
      paths: Record<
        string,
        { get: { responses: { 200: { content: { 'application/json': { schema: unknown } } } } } }
      >;
    };
    const schemaOf = (path: string) =>
      JSON.stringify(parsed.paths[path]!.get.responses[200].content['application/json'].schema);
    for (const path of ['/api/v1/catalog/services', '/api/v1/catalog/quote']) {
      const schema = schemaOf(path);
      for (const field of ['"delivery"', '"last24h"', '"last7d"', '"successRate"', '"medianSecondsToCode"']) {
        expect(schema, `${path} ${field}`).toContain(field);
      }
    }
  });
});
