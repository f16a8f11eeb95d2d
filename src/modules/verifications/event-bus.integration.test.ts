import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { TEST_REDIS_URL } from '../../../test/support/services.js';
import type { Database } from '../../platform/db/database.js';
import { createRedis } from '../../platform/redis.js';
import { type VerificationEventBus, createVerificationEventBus } from './events.js';

/**
 * The fan-out of "verification X changed" in its local (embedded, one process) and Redis modes;
 * the PostgreSQL LISTEN mode is driven by events.integration.test.ts.
 */
const silent = { warn: () => undefined };
const opened: { bus: VerificationEventBus; redis?: Redis }[] = [];

function bus(redis?: Redis): VerificationEventBus {
  const created = createVerificationEventBus({
    // The local and Redis modes never touch the database: only its kind chooses the mode.
    database: { kind: 'pglite', db: undefined as unknown as Database['db'] },
    config: { database: { kind: 'pglite', dataDir: '/nonexistent' } },
    redis,
    logger: silent,
  });
  opened.push({ bus: created, ...(redis ? { redis } : {}) });
  return created;
}

afterAll(async () => {
  for (const { bus: b, redis } of opened) {
    await b.close();
    redis?.disconnect();
  }
});

describe('verification event bus', () => {
  it('local: a subscriber hears its verification only, until it unsubscribes; malformed ids are dropped', async () => {
    const local = bus();
    expect(local.mode).toBe('local');
    const id = randomUUID();
    const heard: string[] = [];
    const unsubscribe = await local.subscribe(id, () => heard.push('mine'));
    await local.subscribe(randomUUID(), () => heard.push('other'));
    local.publish(id);
    local.publish('not-a-verification-id');
    expect(heard).toEqual(['mine']);
    unsubscribe();
    local.publish(id);
    expect(heard).toEqual(['mine']);
  });

  it('redis: a change published by one instance reaches a subscriber on another', async () => {
    const a = await createRedis(TEST_REDIS_URL);
    const b = await createRedis(TEST_REDIS_URL);
    await Promise.all([a.connect(), b.connect()]);
    const publisher = bus(a);
    const subscriber = bus(b);
    expect(subscriber.mode).toBe('redis');
    const id = randomUUID();
    let heard = 0;
    await subscriber.subscribe(id, () => (heard += 1));
    publisher.publish(id);
    await expect.poll(() => heard, { timeout: 10_000 }).toBe(1);
  });

  it('redis: publishing while Redis is not connected neither throws nor waits', async () => {
    const down = await createRedis('redis://127.0.0.1:1'); // never connected (lazy), so never ready
    const offline = bus(down);
    expect(() => offline.publish(randomUUID())).not.toThrow();
    // A subscriber still gets its listener; the live stream's own refresh covers the gap.
    const unsubscribe = await offline.subscribe(randomUUID(), () => undefined);
    unsubscribe();
  });
});
