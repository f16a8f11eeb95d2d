import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createPgliteTestDatabase,
  createPostgresTestDatabase,
  type TestDatabase,
} from '../../../test/support/database.js';
import {
  insertKnownOrders,
  KNOWN_FIGURES,
  KNOWN_MIN_ORDERS,
  KNOWN_ORDERS,
} from '../../../test/support/delivery-orders.js';
import { computeDeliverySnapshot, createDeliveryStats, deliveryFigure } from './delivery-stats.js';

describe('deliveryFigure', () => {
  it('hides a window below the minimum sample and shows it from the minimum on', () => {
    expect(deliveryFigure({ orders: 19, delivered: 19, medianSeconds: 12 }, 20)).toBeNull();
    expect(deliveryFigure({ orders: 20, delivered: 15, medianSeconds: 12.5 }, 20)).toEqual({
      orders: 20,
      delivered: 15,
      successRate: 0.75,
      medianSecondsToCode: 13,
    });
    expect(deliveryFigure({ orders: 0, delivered: 0, medianSeconds: null }, 1)).toBeNull();
    expect(deliveryFigure({ orders: 3, delivered: 0, medianSeconds: null }, 1)).toEqual({
      orders: 3,
      delivered: 0,
      successRate: 0,
      medianSecondsToCode: null,
    });
  });
});

// The production engine and the embedded one (PGlite) run the same aggregate.
describe.each([
  ['PostgreSQL', () => createPostgresTestDatabase(2)],
  ['PGlite', createPgliteTestDatabase],
])('delivery statistics over orders with known outcomes (%s)', (_engine, open) => {
  let testDb: TestDatabase;
  const now = new Date();

  beforeAll(async () => {
    testDb = await open();
    await insertKnownOrders(testDb.database.db, now, KNOWN_ORDERS);
  }, 60_000);

  afterAll(async () => {
    await testDb?.dispose();
  });

  it('gives success rate and median per service, country and provider over 24 h and 7 days', async () => {
    const stats = await computeDeliverySnapshot(testDb.database.db, KNOWN_MIN_ORDERS, now);
    expect(stats.forProvider('whatsapp', 'US', 'textverified')).toEqual(KNOWN_FIGURES.whatsappUsTextVerified);
    expect(stats.forProvider('whatsapp', 'US', 'fivesim')).toEqual(KNOWN_FIGURES.whatsappUsFivesim);
    expect(stats.forProvider('whatsapp', 'GB', 'fivesim')).toEqual(KNOWN_FIGURES.whatsappGb);
    expect(stats.forProvider('whatsapp', 'GB', 'textverified')).toEqual({ last24h: null, last7d: null });
  });

  it('aggregates every provider for what buyers see (not an average of the providers)', async () => {
    const stats = await computeDeliverySnapshot(testDb.database.db, KNOWN_MIN_ORDERS, now);
    expect(stats.overall('whatsapp', 'US')).toEqual(KNOWN_FIGURES.whatsappUs);
    expect(stats.overall('WhatsApp', 'us')).toEqual(KNOWN_FIGURES.whatsappUs);
    expect(stats.overall('whatsapp', 'GB')).toEqual(KNOWN_FIGURES.whatsappGb);
    expect(stats.overall('whatsapp')).toEqual(KNOWN_FIGURES.whatsapp);
    expect(stats.overall('telegram', 'US')).toEqual(KNOWN_FIGURES.telegramUs);
    expect(stats.overall('telegram')).toEqual(KNOWN_FIGURES.telegramUs);
    expect(stats.overall('signal', 'US')).toEqual({ last24h: null, last7d: null });
  });

  it('shows small samples once the minimum allows them', async () => {
    const stats = await computeDeliverySnapshot(testDb.database.db, 1, now);
    expect(stats.overall('telegram', 'US')).toEqual({
      last24h: { orders: 2, delivered: 2, successRate: 1, medianSecondsToCode: 15 },
      last7d: { orders: 2, delivered: 2, successRate: 1, medianSecondsToCode: 15 },
    });
    expect(stats.forProvider('whatsapp', 'US', 'fivesim').last24h).toEqual({
      orders: 3,
      delivered: 2,
      successRate: 2 / 3,
      medianSecondsToCode: 75,
    });
    expect(
      stats
        .perProvider()
        .map((p) => `${p.service}/${p.country}/${p.provider}`)
        .sort(),
    ).toEqual([
      'telegram/US/textverified',
      'whatsapp/GB/fivesim',
      'whatsapp/US/fivesim',
      'whatsapp/US/textverified',
    ]);
  });

  it('moves orders out of the windows as time passes', async () => {
    // 47 h later: nothing is left in the last 24 h; the 3- and 5-day-old orders still count.
    const later = new Date(now.getTime() + 47 * 3_600_000);
    const stats = await computeDeliverySnapshot(testDb.database.db, 1, later);
    expect(stats.overall('whatsapp', 'US')).toEqual({
      last24h: null,
      // All but the 6-day-old 5sim code (8 days old by then); the 25 h one is still in.
      last7d: {
        orders: 12,
        delivered: 7,
        successRate: 7 / 12,
        medianSecondsToCode: 40, // 10, 20, 30, 40, 60, 90, 100
      },
    });
  });
});

describe('the kept figures', () => {
  let testDb: TestDatabase;

  beforeAll(async () => {
    testDb = await createPostgresTestDatabase(2);
  }, 60_000);

  afterAll(async () => {
    await testDb?.dispose();
  });

  it('are computed once per cache period, shared by concurrent callers, and recomputed after it', async () => {
    const db = testDb.database.db;
    const stats = createDeliveryStats({ db, settings: { minOrders: 1, cacheSeconds: 3600 } });
    const [first, concurrent] = await Promise.all([stats.snapshot(), stats.snapshot()]);
    expect(concurrent).toBe(first);
    expect(first.overall('whatsapp', 'US').last7d).toBeNull();

    await insertKnownOrders(db, new Date(), KNOWN_ORDERS);
    const cached = await stats.snapshot();
    expect(cached).toBe(first);
    expect(cached.overall('whatsapp', 'US').last7d).toBeNull();

    stats.invalidate();
    expect((await stats.snapshot()).overall('whatsapp', 'US').last7d?.orders).toBe(
      KNOWN_FIGURES.whatsappUs.last7d.orders,
    );
  });
});
