/** Admins see each provider's delivery figures, which the catalogue shows merged. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signInAdmin } from '../../../test/support/admin.js';
import { type TestApp, createTestApp } from '../../../test/support/app.js';
import { nextIp } from '../../../test/support/attacker.js';
import { type TestDatabase, createPostgresTestDatabase } from '../../../test/support/database.js';
import {
  insertKnownOrders,
  KNOWN_FIGURES,
  KNOWN_MIN_ORDERS,
  KNOWN_ORDERS,
} from '../../../test/support/delivery-orders.js';
import { ADMIN_PREFIX } from './index.js';

let testDb: TestDatabase;
let app: TestApp;

beforeAll(async () => {
  testDb = await createPostgresTestDatabase(3);
  app = await createTestApp({
    database: testDb.database,
    env: { DELIVERY_STATS_MIN_ORDERS: String(KNOWN_MIN_ORDERS) },
  });
  await app.ready();
  await insertKnownOrders(testDb.database.db, new Date(), KNOWN_ORDERS);
}, 60_000);

afterAll(async () => {
  await app?.close();
  await testDb?.dispose();
});

describe('GET /api/v1/admin/providers/delivery', () => {
  it('lists every service, country and provider with orders, with the figures of its own orders', async () => {
    const admin = await signInAdmin(app);
    const response = await app.inject({
      url: `${ADMIN_PREFIX}/providers/delivery`,
      remoteAddress: nextIp(),
      headers: { authorization: `Bearer ${admin.accessToken}` },
    });
    expect(response.statusCode, response.body).toBe(200);
    const body = response.json<{ minOrders: number; computedAt: string; data: unknown[] }>();
    expect(body.minOrders).toBe(KNOWN_MIN_ORDERS);
    expect(Date.parse(body.computedAt)).not.toBeNaN();
    expect(body.data).toEqual([
      { service: 'telegram', country: 'US', provider: 'textverified', ...KNOWN_FIGURES.telegramUs },
      { service: 'whatsapp', country: 'GB', provider: 'fivesim', ...KNOWN_FIGURES.whatsappGb },
      { service: 'whatsapp', country: 'US', provider: 'fivesim', ...KNOWN_FIGURES.whatsappUsFivesim },
      {
        service: 'whatsapp',
        country: 'US',
        provider: 'textverified',
        ...KNOWN_FIGURES.whatsappUsTextVerified,
      },
    ]);
  });
});
